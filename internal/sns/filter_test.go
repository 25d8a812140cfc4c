package sns

import (
	"testing"
)

func TestFilterPolicyMatches(t *testing.T) {
	attrs := &messageRecord{Attributes: map[string]attributeValue{
		"store":  {Type: "String", Value: "example_corp"},
		"price":  {Type: "Number", Value: "210.75"},
		"colors": {Type: "String.Array", Value: `["red","green"]`},
		"ip":     {Type: "String", Value: "10.0.0.7"},
		"bin":    {Type: "Binary", Value: "AQID"},
	}}
	body := &messageRecord{Message: `{"order":{"kind":"retail","total":30},"tags":["a","b"]}`}
	tests := []struct {
		name, policy, scope string
		msg                 *messageRecord
		want                bool
	}{
		{"exact", `{"store":["example_corp"]}`, "", attrs, true},
		{"exact miss", `{"store":["other"]}`, "", attrs, false},
		{"one of", `{"store":["other","example_corp"]}`, "", attrs, true},
		{"prefix", `{"store":[{"prefix":"exam"}]}`, "", attrs, true},
		{"suffix", `{"store":[{"suffix":"corp"}]}`, "", attrs, true},
		{"ignore case", `{"store":[{"equals-ignore-case":"EXAMPLE_CORP"}]}`, "", attrs, true},
		{"wildcard", `{"store":[{"wildcard":"ex*corp"}]}`, "", attrs, true},
		{"anything-but", `{"store":[{"anything-but":"example_corp"}]}`, "", attrs, false},
		{"anything-but list", `{"store":[{"anything-but":["a","b"]}]}`, "", attrs, true},
		{"anything-but prefix", `{"store":[{"anything-but":{"prefix":"ex"}}]}`, "", attrs, false},
		{"numeric range", `{"price":[{"numeric":[">",100,"<=",300]}]}`, "", attrs, true},
		{"numeric miss", `{"price":[{"numeric":["<",100]}]}`, "", attrs, false},
		{"number equals", `{"price":[210.75]}`, "", attrs, true},
		{"array attribute", `{"colors":["green"]}`, "", attrs, true},
		{"cidr", `{"ip":[{"cidr":"10.0.0.0/24"}]}`, "", attrs, true},
		{"exists", `{"store":[{"exists":true}]}`, "", attrs, true},
		{"not exists", `{"missing":[{"exists":false}]}`, "", attrs, true},
		{"missing key", `{"missing":["x"]}`, "", attrs, false},
		{"binary is not matched", `{"bin":[{"exists":true}]}`, "", attrs, false},
		{"all keys", `{"store":["example_corp"],"price":[{"numeric":["<",1]}]}`, "", attrs, false},
		{"or", `{"$or":[{"store":["x"]},{"price":[{"numeric":[">",200]}]}]}`, "", attrs, true},
		{"body nested", `{"order":{"kind":["retail"]}}`, "MessageBody", body, true},
		{"body nested miss", `{"order":{"total":[{"numeric":[">",100]}]}}`, "MessageBody", body, false},
		{"body array", `{"tags":["b"]}`, "MessageBody", body, true},
		{"body not json", `{"a":["b"]}`, "MessageBody", &messageRecord{Message: "plain"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := parseFilterPolicy(tt.policy)
			if err != nil {
				t.Fatal(err)
			}
			if got := p.matches(filterDoc(tt.msg, tt.scope)); got != tt.want {
				t.Errorf("matches = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestFilterPolicyInvalid(t *testing.T) {
	for _, p := range []string{
		`[]`, `{}`, `{"a":"b"}`, `{"a":[]}`, `{"a":[["x"]]}`, `{"a":[{"prefix":1}]}`, `{"a":[{"nope":"x"}]}`,
		`{"a":[{"numeric":["<"]}]}`, `{"a":[{"numeric":["<",1,">",0]}]}`, `{"a":[{"cidr":"x"}]}`, `{"$or":{"a":["b"]}}`,
		`{"a":[{"prefix":"x","suffix":"y"}]}`, `{"a":[{"exists":"yes"}]}`, `nope`,
	} {
		if _, err := parseFilterPolicy(p); err == nil {
			t.Errorf("parseFilterPolicy(%s) accepted", p)
		}
	}
}

// FuzzFilterPolicy: any policy and any body parse or fail without a panic.
func FuzzFilterPolicy(f *testing.F) {
	f.Add(`{"a":["b",1,{"prefix":"x"}]}`, `{"a":"bx"}`)
	f.Add(`{"$or":[{"a":[{"numeric":[">",1,"<",5]}]},{"b":{"c":[{"exists":true}]}}]}`, `{"b":{"c":null}}`)
	f.Add(`{"a":[{"anything-but":{"suffix":"z"}}]}`, `{"a":["yz",3]}`)
	f.Add(`{"ip":[{"cidr":"::/0"}]}`, `{"ip":"::1"}`)
	f.Fuzz(func(t *testing.T, policy, body string) {
		p, err := parseFilterPolicy(policy)
		if err != nil {
			return
		}
		p.matches(filterDoc(&messageRecord{Message: body}, "MessageBody"))
		p.matches(filterDoc(&messageRecord{Attributes: map[string]attributeValue{"a": {Type: "String.Array", Value: body}, "b": {Type: "Number", Value: body}}}, ""))
	})
}

// FuzzCheckMessage: any Publish input is accepted or refused with an API
// error, never a panic.
func FuzzCheckMessage(f *testing.F) {
	f.Add("hello", "subject", "", "String", "v")
	f.Add(`{"default":"x","http":1}`, "", "json", "Number", "1e3")
	f.Add(`{"default":"x"}`, "s", "json", "String.Array", `["a",1]`)
	f.Add("m", "", "", "Binary", "")
	f.Fuzz(func(t *testing.T, message, subject, structure, typ, value string) {
		in := &PublishInput{Message: &message, MessageStructure: &structure,
			MessageAttributes: map[string]MessageAttributeValue{"a": {DataType: &typ, StringValue: &value, BinaryValue: []byte(value)}}}
		if subject != "" {
			in.Subject = &subject
		}
		msg, err := checkMessage(in)
		if err == nil && msg.Message == "" {
			t.Errorf("accepted an empty message")
		}
	})
}
