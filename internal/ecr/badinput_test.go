package ecr_test

import (
	"net/http"
	"strings"
	"testing"
)

// TestBadInput sends what the SDKs would not send to every operation and
// checks ECR's error code, the 400 status and the message: never a 500.
func TestBadInput(t *testing.T) {
	h := newHarness(t)
	h.createRepo(t, "repo", "")
	long := strings.Repeat("a", 257)
	arn := "arn:aws:ecr:us-east-1:000000000000:repository/repo"
	nameRE := "Invalid parameter at 'repositoryName' failed to satisfy constraint: 'must satisfy regular expression '(?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*[a-z0-9]+(?:[._-][a-z0-9]+)*''"
	cases := []struct{ op, body, code, msg string }{
		{"CreateRepository", `{}`, "InvalidParameterException", "Invalid parameter at 'repositoryName' failed to satisfy constraint: 'must not be null'"},
		{"CreateRepository", `{"repositoryName":"a"}`, "InvalidParameterException", "Invalid parameter at 'repositoryName' failed to satisfy constraint: 'must have length greater than or equal to 2'"},
		{"CreateRepository", `{"repositoryName":"` + long + `"}`, "InvalidParameterException", "must have length less than or equal to 256"},
		{"CreateRepository", `{"repositoryName":"Repo"}`, "InvalidParameterException", nameRE},
		{"CreateRepository", `{"repositoryName":"a//b"}`, "InvalidParameterException", nameRE},
		{"CreateRepository", `{"repositoryName":"repo"}`, "RepositoryAlreadyExistsException", "The repository with name 'repo' already exists in the registry with id '000000000000'"},
		{"CreateRepository", `{"repositoryName":"ok","imageTagMutability":"SOMETIMES"}`, "InvalidParameterException", "Invalid parameter at 'imageTagMutability' failed to satisfy constraint: 'must satisfy enum value set: [MUTABLE, IMMUTABLE, IMMUTABLE_WITH_EXCLUSION, MUTABLE_WITH_EXCLUSION]'"},
		{"CreateRepository", `{"repositoryName":"ok","imageTagMutability":"MUTABLE_WITH_EXCLUSION"}`, "InvalidParameterException", "Tide does not support imageTagMutability MUTABLE_WITH_EXCLUSION"},
		{"CreateRepository", `{"repositoryName":"ok","imageTagMutabilityExclusionFilters":[{"filterType":"WILDCARD","filter":"v*"}]}`, "InvalidParameterException", "Tide does not support imageTagMutabilityExclusionFilters"},
		{"CreateRepository", `{"repositoryName":"ok","encryptionConfiguration":{}}`, "InvalidParameterException", "'encryptionConfiguration.encryptionType' failed to satisfy constraint: 'must not be null'"},
		{"CreateRepository", `{"repositoryName":"ok","encryptionConfiguration":{"encryptionType":"ROT13"}}`, "InvalidParameterException", "must satisfy enum value set: [AES256, KMS, KMS_DSSE]"},
		{"CreateRepository", `{"repositoryName":"ok","encryptionConfiguration":{"encryptionType":"AES256","kmsKey":"k"}}`, "InvalidParameterException", "kmsKey can only be specified"},
		{"CreateRepository", `{"repositoryName":"ok","registryId":"123"}`, "InvalidParameterException", "Invalid parameter at 'registryId' failed to satisfy constraint: 'must satisfy regular expression '[0-9]{12}''"},
		{"CreateRepository", `{"repositoryName":"ok","registryId":"111111111111"}`, "InvalidParameterException", "registryId"},
		{"CreateRepository", `{"repositoryName":"ok","tags":[{"Key":"a"}]}`, "InvalidParameterException", "'tags.member.Value' failed to satisfy constraint: 'must not be null'"},
		{"CreateRepository", `{"repositoryName":"ok","tags":[{"Key":"","Value":""}]}`, "InvalidTagParameterException", "between 1 and 128"},
		{"CreateRepository", `{"repositoryName":3}`, "SerializationException", ""},
		{"CreateRepository", `[]`, "SerializationException", ""},
		{"DescribeRepositories", `{"maxResults":0}`, "InvalidParameterException", "Invalid parameter at 'maxResults' failed to satisfy constraint: 'must be greater than or equal to 1'"},
		{"DescribeRepositories", `{"maxResults":1001}`, "InvalidParameterException", "Invalid parameter at 'maxResults' failed to satisfy constraint: 'must be less than or equal to 1000'"},
		{"DescribeRepositories", `{"repositoryNames":[]}`, "InvalidParameterException", "must have length between 1 and 100"},
		{"DescribeRepositories", `{"repositoryNames":["repo"],"maxResults":5}`, "InvalidParameterException", "cannot be used with repositoryNames"},
		{"DescribeRepositories", `{"repositoryNames":["BAD"]}`, "InvalidParameterException", "'repositoryNames' failed to satisfy constraint"},
		{"DescribeRepositories", `{"nextToken":"!!"}`, "InvalidParameterException", "Invalid parameter at 'nextToken' failed to satisfy constraint: 'Invalid NextToken'"},
		{"DescribeRepositories", `{"registryId":"111111111111","repositoryNames":["repo"]}`, "RepositoryNotFoundException", "The repository with name 'repo' does not exist in the registry with id '111111111111'"},
		{"DescribeRepositories", `{"registryId":"111111111111"}`, "", ""},
		{"DeleteRepository", `{"repositoryName":"nope"}`, "RepositoryNotFoundException", "The repository with name 'nope' does not exist in the registry with id '000000000000'"},
		{"DeleteRepository", `{"repositoryName":"repo","force":"yes"}`, "SerializationException", ""},
		{"PutImageTagMutability", `{"repositoryName":"repo"}`, "InvalidParameterException", "'imageTagMutability' failed to satisfy constraint: 'must not be null'"},
		{"PutImageTagMutability", `{"repositoryName":"nope","imageTagMutability":"MUTABLE"}`, "RepositoryNotFoundException", "'nope'"},
		{"PutImageScanningConfiguration", `{"repositoryName":"repo"}`, "InvalidParameterException", "'imageScanningConfiguration' failed to satisfy constraint: 'must not be null'"},
		{"SetRepositoryPolicy", `{"repositoryName":"repo","policyText":"{}"}`, "InvalidParameterException", "Invalid parameter at 'PolicyText' failed to satisfy constraint: 'Invalid repository policy provided'"},
		{"GetRepositoryPolicy", `{"repositoryName":"repo"}`, "RepositoryPolicyNotFoundException", "Repository policy does not exist for the repository with name 'repo' in the registry with id '000000000000'"},
		{"ListImages", `{"repositoryName":"repo","filter":{"tagStatus":"SOME"}}`, "InvalidParameterException", "Invalid parameter at 'filter.tagStatus' failed to satisfy constraint: 'must satisfy enum value set: [TAGGED, UNTAGGED, ANY]'"},
		{"ListImages", `{"repositoryName":"repo","filter":{"imageStatus":"GONE"}}`, "InvalidParameterException", "'filter.imageStatus'"},
		{"ListImages", `{"repositoryName":"repo","filter":{"imageStatus":"ARCHIVED"}}`, "", ""},
		{"ListImages", `{"repositoryName":"repo","nextToken":"eyJrIjoicmVwb3MiLCJhIjoieCJ9"}`, "InvalidParameterException", "Invalid NextToken"}, // a DescribeRepositories token
		{"ListImages", `{"repositoryName":"nope"}`, "RepositoryNotFoundException", "The repository with name 'nope' does not exist in the registry with id '000000000000'"},
		{"DescribeImages", `{"repositoryName":"repo","imageIds":[{"imageTag":"x"}],"maxResults":3}`, "InvalidParameterException", "cannot be used with imageIds"},
		{"DescribeImages", `{"repositoryName":"repo","imageIds":[]}`, "InvalidParameterException", "'imageIds' failed to satisfy constraint: 'must have length between 1 and 100'"},
		{"DescribeImages", `{"repositoryName":"repo","imageIds":[{}]}`, "InvalidParameterException", "Invalid request parameters: both tag and digest cannot be null"},
		{"DescribeImages", `{"repositoryName":"repo","imageIds":[{"imageDigest":"sha256:` + strings.Repeat("0", 64) + `"}]}`, "ImageNotFoundException", "The image with imageId {imageDigest:'sha256:" + strings.Repeat("0", 64) + "', imageTag:'null'} does not exist within the repository with name 'repo' in the registry with id '000000000000'"},
		{"BatchGetImage", `{"repositoryName":"repo"}`, "InvalidParameterException", "'imageIds' failed to satisfy constraint: 'must not be null'"},
		{"BatchGetImage", `{"repositoryName":"repo","imageIds":[{"imageTag":"x"}],"acceptedMediaTypes":[]}`, "InvalidParameterException", "'acceptedMediaTypes'"},
		{"BatchDeleteImage", `{"repositoryName":"repo","imageIds":[]}`, "InvalidParameterException", "must have length between 1 and 100"},
		{"PutImage", `{"repositoryName":"repo"}`, "InvalidParameterException", "'imageManifest' failed to satisfy constraint: 'must not be null'"},
		{"PutImage", `{"repositoryName":"repo","imageManifest":""}`, "InvalidParameterException", "must have length greater than or equal to 1"},
		{"PutImage", `{"repositoryName":"repo","imageManifest":"{}","imageTag":"bad tag"}`, "InvalidParameterException", "'imageTag' failed to satisfy constraint"},
		{"PutImage", `{"repositoryName":"repo","imageManifest":"{}","imageTag":""}`, "InvalidParameterException", "'imageTag' failed to satisfy constraint: 'must have length between 1 and 300'"},
		{"PutImage", `{"repositoryName":"repo","imageManifest":"{}","imageDigest":"nope"}`, "InvalidParameterException", "'imageDigest'"},
		{"PutImage", `{"repositoryName":"repo","imageManifest":"{}","imageDigest":"md5:abcd"}`, "InvalidParameterException", "unsupported digest algorithm md5"},
		{"PutImage", `{"repositoryName":"repo","imageManifest":"not json"}`, "InvalidParameterException", "Invalid parameter at 'imageManifest' failed to satisfy constraint"},
		{"PutImage", `{"repositoryName":"repo","imageManifest":"{\"schemaVersion\":1}"}`, "InvalidParameterException", "schemaVersion"},
		{"PutImage", `{"repositoryName":"repo","imageManifest":"{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"config\":{\"mediaType\":\"x\",\"digest\":\"sha256:` + strings.Repeat("a", 64) + `\",\"size\":1},\"layers\":[]}"}`, "LayersNotFoundException", "Layers with digests '[sha256:" + strings.Repeat("a", 64) + "]' required for pushing image into repository with name 'repo' in registry with id '000000000000' do not exist"},
		{"PutImage", `{"repositoryName":"repo","imageManifest":"{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.index.v1+json\",\"manifests\":[{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"sha256:` + strings.Repeat("b", 64) + `\",\"size\":1}]}"}`, "ReferencedImagesNotFoundException", "Images with digests '[sha256:" + strings.Repeat("b", 64) + "]'"},
		{"UploadLayerPart", `{"repositoryName":"repo","uploadId":"x"}`, "InvalidParameterException", "'uploadId' failed to satisfy constraint"},
		{"UploadLayerPart", `{"repositoryName":"repo","uploadId":"00000000-0000-0000-0000-000000000000"}`, "InvalidParameterException", "'partFirstByte' failed to satisfy constraint: 'must not be null'"},
		{"UploadLayerPart", `{"repositoryName":"repo","uploadId":"00000000-0000-0000-0000-000000000000","partFirstByte":-1,"partLastByte":0,"layerPartBlob":"eA=="}`, "InvalidParameterException", "must be greater than or equal to 0"},
		{"UploadLayerPart", `{"repositoryName":"repo","uploadId":"00000000-0000-0000-0000-000000000000","partFirstByte":0,"partLastByte":0}`, "InvalidParameterException", "'layerPartBlob' failed to satisfy constraint: 'must not be null'"},
		{"UploadLayerPart", `{"repositoryName":"repo","uploadId":"00000000-0000-0000-0000-000000000000","partFirstByte":0,"partLastByte":0,"layerPartBlob":"!!"}`, "SerializationException", ""},
		{"UploadLayerPart", `{"repositoryName":"repo","uploadId":"00000000-0000-0000-0000-000000000000","partFirstByte":0,"partLastByte":0,"layerPartBlob":"eA=="}`, "UploadNotFoundException", "The upload with id '00000000-0000-0000-0000-000000000000' does not exist in the repository with name 'repo' in the registry with id '000000000000'"},
		{"CompleteLayerUpload", `{"repositoryName":"repo","uploadId":"00000000-0000-0000-0000-000000000000","layerDigests":["nope"]}`, "InvalidParameterException", "'layerDigests' failed to satisfy constraint"},
		{"CompleteLayerUpload", `{"repositoryName":"repo","uploadId":"00000000-0000-0000-0000-000000000000","layerDigests":[]}`, "InvalidParameterException", "must have length between 1 and 100"},
		{"CompleteLayerUpload", `{"repositoryName":"repo","uploadId":"00000000-0000-0000-0000-000000000000","layerDigests":["sha256:00"]}`, "UploadNotFoundException", ""},
		{"BatchCheckLayerAvailability", `{"repositoryName":"repo","layerDigests":[]}`, "InvalidParameterException", "must have length between 1 and 100"},
		{"GetDownloadUrlForLayer", `{"repositoryName":"repo","layerDigest":"x"}`, "InvalidParameterException", "'layerDigest' failed to satisfy constraint"},
		{"GetDownloadUrlForLayer", `{"repositoryName":"repo"}`, "InvalidParameterException", "'layerDigest' failed to satisfy constraint: 'must not be null'"},
		{"TagResource", `{"resourceArn":"nope","tags":[]}`, "InvalidParameterException", "Invalid parameter at 'resourceArn' failed to satisfy constraint: 'Invalid ARN: nope'"},
		{"TagResource", `{"resourceArn":"` + arn + `"}`, "InvalidParameterException", "'tags' failed to satisfy constraint: 'must not be null'"},
		{"TagResource", `{"resourceArn":"arn:aws:ecr:eu-west-1:000000000000:repository/repo","tags":[]}`, "RepositoryNotFoundException", ""},
		{"UntagResource", `{"resourceArn":"` + arn + `"}`, "InvalidParameterException", "'tagKeys' failed to satisfy constraint: 'must not be null'"},
		{"ListTagsForResource", `{}`, "InvalidParameterException", "'resourceArn' failed to satisfy constraint: 'must not be null'"},
		{"PutLifecyclePolicy", `{"repositoryName":"repo"}`, "InvalidParameterException", "'lifecyclePolicyText' failed to satisfy constraint: 'must not be null'"},
		{"PutLifecyclePolicy", `{"repositoryName":"repo","lifecyclePolicyText":"{}"}`, "InvalidParameterException", ""},
		{"GetLifecyclePolicy", `{"repositoryName":"repo"}`, "LifecyclePolicyNotFoundException", "Lifecycle policy does not exist for the repository with name 'repo' in the registry with id '000000000000'"},
		{"DeleteLifecyclePolicy", `{"repositoryName":"repo"}`, "LifecyclePolicyNotFoundException", ""},
		{"StartLifecyclePolicyPreview", `{"repositoryName":"repo"}`, "LifecyclePolicyNotFoundException", ""},
		{"GetLifecyclePolicyPreview", `{"repositoryName":"repo","maxResults":101}`, "InvalidParameterException", "must be less than or equal to 100"},
		{"GetLifecyclePolicyPreview", `{"repositoryName":"repo"}`, "LifecyclePolicyPreviewNotFoundException", "There is no dry run for the repository with name 'repo' in the registry with id '000000000000'"},
		{"GetAuthorizationToken", `{"registryIds":["x"]}`, "InvalidParameterException", "'registryIds' failed to satisfy constraint"},
		{"GetAuthorizationToken", `{"registryIds":[]}`, "InvalidParameterException", "must have length between 1 and 10"},
	}
	for _, c := range cases {
		t.Run(c.op+" "+c.body[:min(len(c.body), 60)], func(t *testing.T) {
			r := h.raw(t, c.op, c.body)
			if c.code == "" {
				if r.Status != http.StatusOK {
					t.Fatalf("%d %s", r.Status, r.Body)
				}
				return
			}
			if r.Status != http.StatusBadRequest || r.Type != c.code || !strings.Contains(r.Message, c.msg) {
				t.Fatalf("got %d %s %q\nwant 400 %s containing %q", r.Status, r.Type, r.Message, c.code, c.msg)
			}
		})
	}
}
