package ecr

import (
	"context"
	"encoding/base64"
	"slices"

	"tide/internal/awserr"
	"tide/internal/awsjson"
	"tide/internal/edge"
	"tide/internal/registry"
)

type getAuthorizationTokenInput struct {
	RegistryIds []string `json:"registryIds"`
}

type authorizationData struct {
	AuthorizationToken string        `json:"authorizationToken"`
	ExpiresAt          *awsjson.Time `json:"expiresAt"`
	ProxyEndpoint      string        `json:"proxyEndpoint"`
}

type getAuthorizationTokenOutput struct {
	AuthorizationData []authorizationData `json:"authorizationData"`
}

// GetAuthorizationToken returns base64("AWS:<password>") for docker login,
// valid for 12 hours, and the registry's address: "http://" and the Host the
// client reached the server at. With registryIds it returns one entry per
// ID, all for this registry (there is only one).
func (a *API) GetAuthorizationToken(ctx context.Context, in *getAuthorizationTokenInput) (*getAuthorizationTokenOutput, error) {
	if in.RegistryIds != nil && (len(in.RegistryIds) < 1 || len(in.RegistryIds) > 10) {
		return nil, invalidParam("registryIds", "must have length between 1 and 10")
	}
	for _, id := range in.RegistryIds {
		if !registryIDRE.MatchString(id) {
			return nil, invalidParam("registryIds", "must satisfy regular expression '[0-9]{12}'")
		}
	}
	caller, ok := edge.Caller(ctx)
	if !ok {
		return nil, awserr.Client("AccessDeniedException", "no verified caller")
	}
	expires := a.now().Add(registry.TokenTTL)
	pw, err := a.reg.Token(caller.AccessKeyID, expires)
	if err != nil {
		return nil, err
	}
	data := authorizationData{
		AuthorizationToken: base64.StdEncoding.EncodeToString([]byte("AWS:" + pw)),
		ExpiresAt:          awsjson.At(expires), ProxyEndpoint: "http://" + edge.Host(ctx),
	}
	n := len(slices.Compact(slices.Sorted(slices.Values(in.RegistryIds))))
	out := &getAuthorizationTokenOutput{AuthorizationData: []authorizationData{data}}
	for i := 1; i < n; i++ {
		out.AuthorizationData = append(out.AuthorizationData, data)
	}
	return out, nil
}
