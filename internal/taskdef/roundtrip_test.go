package taskdef

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestMaximalRoundTrip registers a request in which every member of every
// shape is set and checks that New returns all of it unchanged, tags apart.
func TestMaximalRoundTrip(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("testdata", "maximal.input.json"))
	if err != nil {
		t.Fatal(err)
	}
	var in RegisterInput
	decodeStrict(t, raw, &in)
	assertAllSet(t, reflect.ValueOf(in), "RegisterInput")

	out, err := json.Marshal(New(&in, "arn", 1, testRegisteredAt, "me"))
	if err != nil {
		t.Fatal(err)
	}
	var want, got map[string]any
	if err := json.Unmarshal(raw, &want); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatal(err)
	}
	delete(want, "tags")
	for _, k := range []string{"taskDefinitionArn", "revision", "status", "registeredAt", "registeredBy", "compatibilities", "requiresAttributes"} {
		if _, ok := got[k]; !ok {
			t.Errorf("output lacks %q", k)
		}
		delete(got, k)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("register→New→marshal changed the definition (-sent +returned):\n%s", diff)
	}
}

// TestTaskDefinitionRoundTrip decodes a TaskDefinition in which every member
// is set, as the store will, and checks that it encodes to the same JSON.
func TestTaskDefinitionRoundTrip(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("testdata", "maximal.taskdef.json"))
	if err != nil {
		t.Fatal(err)
	}
	var td TaskDefinition
	decodeStrict(t, raw, &td)
	assertAllSet(t, reflect.ValueOf(td), "TaskDefinition")
	out, err := json.Marshal(&td)
	if err != nil {
		t.Fatal(err)
	}
	var want, got any
	if err := json.Unmarshal(raw, &want); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("round trip changed the definition (-want +got):\n%s", diff)
	}
}

// TestEmptyListsSurvive checks that an empty list a client sends comes back
// as [] while an absent one stays absent.
func TestEmptyListsSurvive(t *testing.T) {
	var in RegisterInput
	decodeStrict(t, []byte(`{"family":"f","containerDefinitions":[{"name":"a","image":"i","memory":64,"command":[],"dockerLabels":{}}]}`), &in)
	out, err := json.Marshal(New(&in, "arn", 1, testRegisteredAt, ""))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{`"command":[]`, `"dockerLabels":{}`} {
		if !bytes.Contains(out, []byte(s)) {
			t.Errorf("output lacks %s: %s", s, out)
		}
	}
	if bytes.Contains(out, []byte(`"links"`)) {
		t.Errorf("output has links: %s", out)
	}
}

// TestModelCoverage compares every Go type with the members its shape has in
// the ECS service model (testdata/model_members.json, taken from botocore).
func TestModelCoverage(t *testing.T) {
	var shapes map[string][]string
	decodeFile(t, filepath.Join("testdata", "model_members.json"), &shapes)
	types := map[string]reflect.Type{"RegisterTaskDefinitionRequest": reflect.TypeFor[RegisterInput]()}
	var collect func(reflect.Type)
	collect = func(rt reflect.Type) {
		for rt.Kind() == reflect.Pointer || rt.Kind() == reflect.Slice {
			rt = rt.Elem()
		}
		if rt.Kind() != reflect.Struct || rt.PkgPath() != reflect.TypeFor[RegisterInput]().PkgPath() {
			return
		}
		if _, seen := types[rt.Name()]; seen {
			return
		}
		types[rt.Name()] = rt
		for f := range rt.Fields() {
			collect(f.Type)
		}
	}
	for f := range reflect.TypeFor[RegisterInput]().Fields() {
		collect(f.Type)
	}
	collect(reflect.TypeFor[TaskDefinition]())
	for shape, members := range shapes {
		rt, ok := types[shape]
		if !ok {
			t.Errorf("no Go type for shape %s", shape)
			continue
		}
		var tags []string
		for f := range rt.Fields() {
			tags = append(tags, strings.Split(f.Tag.Get("json"), ",")[0])
		}
		slices.Sort(tags)
		slices.Sort(members)
		if diff := cmp.Diff(members, tags); diff != "" {
			t.Errorf("%s members (-model +Go):\n%s", shape, diff)
		}
	}
	if len(types) != len(shapes) {
		t.Errorf("%d Go types for %d shapes", len(types), len(shapes))
	}
}

// FuzzValidate decodes arbitrary bytes as a RegisterTaskDefinition request and
// checks that Validate and New neither panic nor break their promises: Validate
// leaves its input alone and New's output encodes; for a valid input, New
// lists every required launch type among the compatibilities and normalises
// cpu and memory to integers.
func FuzzValidate(f *testing.F) {
	for _, name := range []string{"sleep360", "nginx", "fargate"} {
		if b, err := os.ReadFile(filepath.Join("testdata", "new", name+".input.json")); err == nil {
			f.Add(b)
		}
	}
	if b, err := os.ReadFile(filepath.Join("testdata", "maximal.input.json")); err == nil {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var in RegisterInput
		if json.Unmarshal(data, &in) != nil {
			return
		}
		before, err := json.Marshal(&in)
		if err != nil {
			t.Fatalf("marshal input: %v", err)
		}
		verr := Validate(&in)
		if after, _ := json.Marshal(&in); string(after) != string(before) {
			t.Fatalf("Validate modified its input:\n%s\n%s", before, after)
		}
		td := New(&in, "arn:aws:ecs:us-east-1:123456789012:task-definition/f:1", 1, time.Unix(1718986512, 0), "me")
		if _, err := json.Marshal(td); err != nil {
			t.Fatalf("marshal output: %v", err)
		}
		_, _ = td.ReservedCPU(), td.ReservedMemory()
		if verr != nil {
			return
		}
		for _, c := range in.RequiresCompatibilities {
			if !slices.Contains(td.Compatibilities, c) {
				t.Fatalf("valid input requires %s but compatibilities are %q", c, td.Compatibilities)
			}
		}
		for _, s := range []string{td.CPU, td.Memory} {
			if _, err := strconv.Atoi(s); s != "" && err != nil {
				t.Fatalf("valid input kept a size of %q", s)
			}
		}
	})
}

// decodeStrict decodes raw into v, failing on members v has no field for.
func decodeStrict(t *testing.T, raw []byte, v any) {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		t.Fatal(err)
	}
}

// assertAllSet fails for every field of v, recursively, that holds its zero
// value, so that a fixture is known to exercise every member.
func assertAllSet(t *testing.T, v reflect.Value, path string) {
	t.Helper()
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			t.Errorf("%s is not set", path)
			return
		}
		if v.Type().Elem().Kind() == reflect.Struct && v.Type().Elem().PkgPath() == reflect.TypeFor[RegisterInput]().PkgPath() {
			assertAllSet(t, v.Elem(), path)
		}
	case reflect.Struct:
		for i := range v.NumField() {
			assertAllSet(t, v.Field(i), path+"."+v.Type().Field(i).Name)
		}
	case reflect.Slice, reflect.Map:
		if v.Len() == 0 {
			t.Errorf("%s is empty", path)
		}
		if v.Kind() == reflect.Slice {
			for i := range v.Len() {
				assertAllSet(t, v.Index(i), path+"[]")
			}
		}
	default:
		if v.IsZero() {
			t.Errorf("%s is not set", path)
		}
	}
}
