package ecr_test

import (
	"slices"
	"strings"
	"testing"

	"tide/internal/ecr"
)

// FuzzOperations sends arbitrary bodies to every ECR operation of a real
// edge, registry and store: each answer is a 200 or a 4xx error, never a
// 500, a panic or a hang.
func FuzzOperations(f *testing.F) {
	h := newHarness(f)
	h.createRepo(f, "repo", "")
	h.push(f, "repo", "v1", randomImage(f, 1))
	var ops []string
	for op := range h.api.Service().Ops {
		ops = append(ops, op)
	}
	slices.Sort(ops)
	zero := strings.Repeat("0", 64)
	for _, s := range []struct{ op, body string }{
		{"CreateRepository", `{"repositoryName":"a/b","imageTagMutability":"IMMUTABLE","tags":[{"Key":"k","Value":"v"}],"encryptionConfiguration":{"encryptionType":"KMS"}}`},
		{"DescribeRepositories", `{"maxResults":1,"nextToken":"eyJrIjoicmVwb3MiLCJhIjoieCJ9"}`},
		{"DeleteRepository", `{"repositoryName":"a/b","force":true}`},
		{"ListImages", `{"repositoryName":"repo","filter":{"tagStatus":"TAGGED"},"maxResults":1}`},
		{"DescribeImages", `{"repositoryName":"repo","imageIds":[{"imageTag":"v1"},{"imageDigest":"sha256:` + zero + `"}]}`},
		{"BatchGetImage", `{"repositoryName":"repo","imageIds":[{"imageTag":"v1"}],"acceptedMediaTypes":["x"]}`},
		{"BatchDeleteImage", `{"repositoryName":"repo","imageIds":[{"imageTag":"v2"},{}]}`},
		{"PutImage", `{"repositoryName":"repo","imageTag":"t","imageManifest":"{\"schemaVersion\":2,\"config\":{\"digest\":\"sha256:` + zero + `\",\"size\":1},\"layers\":[]}"}`},
		{"UploadLayerPart", `{"repositoryName":"repo","uploadId":"00000000-0000-0000-0000-000000000000","partFirstByte":0,"partLastByte":0,"layerPartBlob":"eA=="}`},
		{"CompleteLayerUpload", `{"repositoryName":"repo","uploadId":"00000000-0000-0000-0000-000000000000","layerDigests":["sha256:` + zero + `"]}`},
		{"TagResource", `{"resourceArn":"arn:aws:ecr:us-east-1:000000000000:repository/repo","tags":[{"Key":"a","Value":"b"}]}`},
		{"PutLifecyclePolicy", `{"repositoryName":"repo","lifecyclePolicyText":"{\"rules\":[{\"rulePriority\":1,\"selection\":{\"tagStatus\":\"any\",\"countType\":\"imageCountMoreThan\",\"countNumber\":1},\"action\":{\"type\":\"expire\"}}]}"}`},
		{"StartLifecyclePolicyPreview", `{"repositoryName":"repo"}`},
		{"GetLifecyclePolicyPreview", `{"repositoryName":"repo","maxResults":1,"filter":{"tagStatus":"ANY"}}`},
		{"GetAuthorizationToken", `{"registryIds":["000000000000"]}`},
	} {
		f.Add(uint8(slices.Index(ops, s.op)), s.body)
	}
	f.Fuzz(func(t *testing.T, op uint8, body string) {
		name := ops[int(op)%len(ops)]
		r := h.raw(t, name, body)
		if r.Status != 200 && (r.Status < 400 || r.Status >= 500) {
			t.Fatalf("%s %s %q = %d %s", ecr.TargetPrefix, name, body, r.Status, r.Body)
		}
	})
}
