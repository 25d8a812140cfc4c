#!/usr/bin/env bash
# End-to-end test of Tide's ECR API with the stock aws CLI v2.
#
# It drives the ECR operations a user of the registry runs from a shell
# through /usr/bin/aws against a running `tide server` and checks the
# responses with jq: repositories, get-login-password, a push with the layer
# API and put-image (the CLI's own way to push, with no docker), images,
# deletes, tags, lifecycle policies and their preview, and a forced
# repository delete. It needs AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
# AWS_DEFAULT_REGION and AWS_ENDPOINT_URL (CLI 2.9 ignores AWS_ENDPOINT_URL,
# so every call passes --endpoint-url), and works under a fresh name prefix,
# so it can run against a server that has state. docker login, push and pull
# are in ecr_test.go.
#
# Each aws invocation costs about half a second of CPU to start, so the calls
# run in two lanes in parallel (repositories, images), and the blobs upload
# in parallel. The script prints each lane's log and exits non-zero if a
# check found Tide differing from AWS.
set -euo pipefail

: "${AWS_ENDPOINT_URL:?set AWS_ENDPOINT_URL to the tide server URL}"
: "${AWS_ACCESS_KEY_ID:?}" "${AWS_SECRET_ACCESS_KEY:?}" "${AWS_DEFAULT_REGION:?}"
export AWS_PAGER=""
AWS=${AWS_CLI:-/usr/bin/aws}
REGION=$AWS_DEFAULT_REGION
P="e2e$(date +%s)$$"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

ecr() { "$AWS" ecr "$@" --endpoint-url "$AWS_ENDPOINT_URL" --output json; }
log() { echo "[$LANE] $*"; }
ok() { log "ok   $*"; }
fail() {
	log "FAIL $*" >&2
	exit 1
}

# expect JSON FILTER DESCRIPTION: the jq FILTER must be true on JSON.
expect() {
	local json=$1 filter=$2 desc=$3
	if jq -e "$filter" >/dev/null 2>&1 <<<"$json"; then
		ok "$desc"
	else
		echo "$json" | jq -c . 2>/dev/null | head -c 3000 || echo "$json" | head -c 3000
		echo
		fail "$desc: jq '$filter' is not true"
	fi
}

# expect_error CODE DESCRIPTION ARGS...: `aws ecr ARGS` must fail and name
# the error code CODE on stderr.
expect_error() {
	local code=$1 desc=$2 err
	shift 2
	if err=$(ecr "$@" 2>&1 >/dev/null); then
		fail "$desc: the call succeeded; wanted $code"
	fi
	if ! grep -q "($code)" <<<"$err"; then
		fail "$desc: wanted $code, got: $err"
	fi
	ok "$desc: $code"
}

sha() { echo "sha256:$(sha256sum "$1" | cut -d' ' -f1)"; }

# upload FILE: pushes FILE as a blob of $REPO with the layer API, in two
# parts, and prints its digest.
upload() {
	local file=$1 digest id size part first last out
	digest=$(sha "$file")
	id=$(ecr initiate-layer-upload --repository-name "$REPO" | jq -r .uploadId)
	size=$(stat -c %s "$file")
	part=$(((size + 1) / 2))
	for ((first = 0; first < size; first += part)); do
		last=$((first + part - 1 < size - 1 ? first + part - 1 : size - 1))
		tail -c +$((first + 1)) "$file" | head -c $((last - first + 1)) >"$file.part"
		out=$(ecr upload-layer-part --repository-name "$REPO" --upload-id "$id" \
			--part-first-byte "$first" --part-last-byte "$last" --layer-part-blob "fileb://$file.part")
		[ "$(jq -r .lastByteReceived <<<"$out")" = "$last" ] || fail "upload-layer-part: $out"
	done
	out=$(ecr complete-layer-upload --repository-name "$REPO" --upload-id "$id" --layer-digests "$digest")
	[ "$(jq -r .layerDigest <<<"$out")" = "$digest" ] || fail "complete-layer-upload: $out"
	echo "$digest"
}

# manifest N: writes an OCI image manifest of the config and layer N to
# $WORK/manifest-N.
manifest() {
	local n=$1
	jq -cn --arg cd "$config_digest" --argjson cs "$(stat -c %s "$WORK/config")" \
		--arg ld "${layer_digest[$n]}" --argjson ls "$(stat -c %s "$WORK/layer-$n")" \
		'{schemaVersion: 2, mediaType: "application/vnd.oci.image.manifest.v1+json",
		  config: {mediaType: "application/vnd.oci.image.config.v1+json", digest: $cd, size: $cs},
		  layers: [{mediaType: "application/vnd.oci.image.layer.v1.tar", digest: $ld, size: $ls}]}' >"$WORK/manifest-$n"
}

# ---------------------------------------------------------------- lane: repositories
lane_repos() {
	local repo="$P/repos" out account arn pw
	out=$(ecr create-repository --repository-name "$repo" --image-tag-mutability IMMUTABLE \
		--image-scanning-configuration scanOnPush=true --tags Key=team,Value=blue)
	expect "$out" '.repository.repositoryName == "'"$repo"'" and .repository.imageTagMutability == "IMMUTABLE"
		and .repository.imageScanningConfiguration.scanOnPush == true and .repository.encryptionConfiguration.encryptionType == "AES256"
		and (.repository.repositoryUri | endswith("/'"$repo"'")) and (.repository.createdAt != null)' "create-repository"
	account=$(jq -r .repository.registryId <<<"$out")
	arn="arn:aws:ecr:$REGION:$account:repository/$repo"
	expect "$out" '.repository.repositoryArn == "'"$arn"'"' "create-repository: ARN"
	expect_error RepositoryAlreadyExistsException "create-repository twice" create-repository --repository-name "$repo"
	expect_error InvalidParameterException "create-repository with an upper-case name" create-repository --repository-name "$P/App"

	out=$(ecr describe-repositories --repository-names "$repo")
	expect "$out" '.repositories | length == 1 and .[0].repositoryArn == "'"$arn"'"' "describe-repositories by name"
	out=$(ecr describe-repositories --page-size 1)
	expect "$out" '[.repositories[].repositoryName] | index("'"$repo"'") != null' "describe-repositories, all, in pages of 1"
	expect_error RepositoryNotFoundException "describe-repositories of a missing one" describe-repositories --repository-names "$P/nope"

	pw=$("$AWS" ecr get-login-password --endpoint-url "$AWS_ENDPOINT_URL")
	[ -n "$pw" ] || fail "get-login-password printed nothing"
	ok "get-login-password"
	out=$(ecr get-authorization-token)
	expect "$out" '.authorizationData[0].proxyEndpoint == "'"$AWS_ENDPOINT_URL"'"
		and (.authorizationData[0].authorizationToken | @base64d | startswith("AWS:"))' "get-authorization-token"

	ecr tag-resource --resource-arn "$arn" --tags Key=stage,Value=test >/dev/null
	ecr untag-resource --resource-arn "$arn" --tag-keys team >/dev/null
	out=$(ecr list-tags-for-resource --resource-arn "$arn")
	expect "$out" '.tags == [{"Key": "stage", "Value": "test"}]' "tag-resource, untag-resource, list-tags-for-resource"

	out=$(ecr put-image-tag-mutability --repository-name "$repo" --image-tag-mutability MUTABLE)
	expect "$out" '.imageTagMutability == "MUTABLE"' "put-image-tag-mutability"
	out=$(ecr delete-repository --repository-name "$repo")
	expect "$out" '.repository.repositoryName == "'"$repo"'"' "delete-repository of an empty repository"
	expect_error RepositoryNotFoundException "describe-repositories after the delete" describe-repositories --repository-names "$repo"
}

# ---------------------------------------------------------------- lane: images
lane_images() {
	REPO="$P/app"
	local out n pids=()
	ecr create-repository --repository-name "$REPO" --image-tag-mutability IMMUTABLE >/dev/null

	# Push with the layer API: the blobs upload in parallel.
	printf '{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}' >"$WORK/config"
	upload "$WORK/config" >"$WORK/config.digest" &
	pids+=($!)
	for n in 1 2 3 4; do
		printf 'layer %d of %s, some bytes to upload\n' "$n" "$P" >"$WORK/layer-$n"
		upload "$WORK/layer-$n" >"$WORK/layer-$n.digest" &
		pids+=($!)
	done
	for pid in "${pids[@]}"; do
		wait "$pid" || fail "a blob upload failed"
	done
	config_digest=$(<"$WORK/config.digest")
	for n in 1 2 3 4; do
		layer_digest[n]=$(<"$WORK/layer-$n.digest")
		manifest "$n"
	done
	ok "uploaded a config and 4 layers in two parts each"
	out=$(ecr batch-check-layer-availability --repository-name "$REPO" --layer-digests "$config_digest" "${layer_digest[1]}" "sha256:$(printf '0%.0s' {1..64})")
	expect "$out" '[.layers[].layerAvailability] == ["AVAILABLE", "AVAILABLE", "UNAVAILABLE"] and .layers[1].layerSize == '"$(stat -c %s "$WORK/layer-1")" "batch-check-layer-availability"

	out=$(ecr put-image --repository-name "$REPO" --image-tag v1 --image-manifest "file://$WORK/manifest-1" \
		--image-manifest-media-type application/vnd.oci.image.manifest.v1+json)
	expect "$out" '.image.imageId.imageTag == "v1" and .image.imageId.imageDigest == "'"$(sha "$WORK/manifest-1")"'"' "put-image v1"
	ecr put-image --repository-name "$REPO" --image-tag v2 --image-manifest "file://$WORK/manifest-2" >/dev/null
	ecr put-image --repository-name "$REPO" --image-tag v3 --image-manifest "file://$WORK/manifest-3" >/dev/null
	ecr put-image --repository-name "$REPO" --image-manifest "file://$WORK/manifest-4" >/dev/null
	ok "put-image v2, v3 and an untagged image"
	expect_error ImageAlreadyExistsException "put-image of v1 again" put-image --repository-name "$REPO" --image-tag v1 --image-manifest "file://$WORK/manifest-1"
	expect_error ImageTagAlreadyExistsException "put-image moving an immutable tag" put-image --repository-name "$REPO" --image-tag v1 --image-manifest "file://$WORK/manifest-2"

	out=$(ecr describe-images --repository-name "$REPO")
	expect "$out" '.imageDetails | length == 4' "describe-images: 4 images"
	expect "$out" '.imageDetails[] | select(.imageTags == ["v1"]) | .imageDigest == "'"$(sha "$WORK/manifest-1")"'"
		and .imageSizeInBytes == '"$(stat -c %s "$WORK/layer-1")"' and .imageManifestMediaType == "application/vnd.oci.image.manifest.v1+json"
		and .artifactMediaType == "application/vnd.oci.image.config.v1+json" and .imagePushedAt != null' "describe-images: v1's details"
	out=$(ecr list-images --repository-name "$REPO" --filter tagStatus=UNTAGGED)
	expect "$out" '.imageIds == [{"imageDigest": "'"$(sha "$WORK/manifest-4")"'"}]' "list-images --filter tagStatus=UNTAGGED"
	out=$(ecr batch-get-image --repository-name "$REPO" --image-ids imageTag=v2)
	expect "$out" '.images[0].imageManifest == '"$(jq -Rs . <"$WORK/manifest-2")"' and .failures == []' "batch-get-image returns the manifest as pushed"
	out=$(ecr get-download-url-for-layer --repository-name "$REPO" --layer-digest "${layer_digest[1]}")
	expect "$out" '.downloadUrl | startswith("'"$AWS_ENDPOINT_URL/v2/$REPO/blobs/${layer_digest[1]}?"'")' "get-download-url-for-layer"
	url=$(jq -r .downloadUrl <<<"$out")
	got=$(curl -sf "$url" | sha256sum | cut -d' ' -f1)
	[ "sha256:$got" = "${layer_digest[1]}" ] && ok "the presigned download URL serves the layer without credentials" || fail "presigned download URL: got sha256:$got"

	out=$(ecr batch-delete-image --repository-name "$REPO" --image-ids imageTag=v3 imageTag=nope)
	expect "$out" '.imageIds == [{"imageDigest": "'"$(sha "$WORK/manifest-3")"'", "imageTag": "v3"}]
		and .failures[0].failureCode == "ImageNotFound" and .failures[0].imageId.imageTag == "nope"' "batch-delete-image"
	expect_error ImageNotFoundException "describe-images of the deleted tag" describe-images --repository-name "$REPO" --image-ids imageTag=v3

	# Lifecycle: v1 is older than v2, so keeping one v image expires v1.
	local policy='{"rules":[{"rulePriority":1,"description":"keep the newest v image","selection":{"tagStatus":"tagged","tagPrefixList":["v"],"countType":"imageCountMoreThan","countNumber":1},"action":{"type":"expire"}}]}'
	out=$(ecr put-lifecycle-policy --repository-name "$REPO" --lifecycle-policy-text "$policy")
	[ "$(jq -r .lifecyclePolicyText <<<"$out")" = "$policy" ] || fail "put-lifecycle-policy: $out"
	ok "put-lifecycle-policy"
	expect_error InvalidParameterException "put-lifecycle-policy of a bad policy" put-lifecycle-policy --repository-name "$REPO" \
		--lifecycle-policy-text '{"rules":[{"rulePriority":1,"selection":{"tagStatus":"tagged","countType":"imageCountMoreThan","countNumber":1},"action":{"type":"expire"}}]}'
	out=$(ecr get-lifecycle-policy --repository-name "$REPO")
	expect "$out" '.lifecyclePolicyText | fromjson | .rules[0].rulePriority == 1' "get-lifecycle-policy"
	out=$(ecr start-lifecycle-policy-preview --repository-name "$REPO")
	expect "$out" '.status == "COMPLETE"' "start-lifecycle-policy-preview"
	out=$(ecr get-lifecycle-policy-preview --repository-name "$REPO")
	expect "$out" '.status == "COMPLETE" and .summary.expiringImageTotalCount == 1
		and .previewResults[0].imageTags == ["v1"] and .previewResults[0].action.type == "EXPIRE" and .previewResults[0].appliedRulePriority == 1' \
		"get-lifecycle-policy-preview: v1 would expire"
	out=$(ecr delete-lifecycle-policy --repository-name "$REPO")
	expect "$out" '.lifecyclePolicyText | fromjson | .rules | length == 1' "delete-lifecycle-policy"
	expect_error LifecyclePolicyNotFoundException "get-lifecycle-policy after the delete" get-lifecycle-policy --repository-name "$REPO"

	ecr put-image-tag-mutability --repository-name "$REPO" --image-tag-mutability MUTABLE >/dev/null
	out=$(ecr put-image --repository-name "$REPO" --image-tag v1 --image-manifest "file://$WORK/manifest-2")
	expect "$out" '.image.imageId.imageTag == "v1"' "put-image moves v1 once the repository is MUTABLE"
	expect_error RepositoryNotEmptyException "delete-repository with images" delete-repository --repository-name "$REPO"
	out=$(ecr delete-repository --repository-name "$REPO" --force)
	expect "$out" '.repository.repositoryName == "'"$REPO"'"' "delete-repository --force"
	expect_error RepositoryNotFoundException "describe-images after the delete" describe-images --repository-name "$REPO"
}

declare -a layer_digest
status=0
pids=()
lanes=(repos images)
for lane in "${lanes[@]}"; do
	(LANE=$lane "lane_$lane") >"$WORK/$lane.log" 2>&1 &
	pids+=($!)
done
for i in "${!lanes[@]}"; do
	if ! wait "${pids[$i]}"; then
		status=1
		echo "lane ${lanes[$i]} failed" >>"$WORK/${lanes[$i]}.log"
	fi
done
for lane in "${lanes[@]}"; do
	cat "$WORK/$lane.log"
done
[ "$status" = 0 ] && echo "ecr.sh: all checks passed"
exit "$status"
