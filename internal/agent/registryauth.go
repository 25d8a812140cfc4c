package agent

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"tide/internal/runtime/docker"
	"tide/internal/sigv4"
)

// RegistryAuth returns how the docker runtime logs in to pull: images in
// the Tide registry at serverURL get an ECR authorization token from the
// server (GetAuthorizationToken, signed with the agent's keys), cached until
// an hour before it expires; images elsewhere are pulled anonymously.
func RegistryAuth(serverURL, accessKeyID, secret, region string) docker.AuthFunc {
	u, err := url.Parse(serverURL)
	host := ""
	if err == nil {
		host = u.Host
	}
	var mu sync.Mutex
	var user, pass string
	var renew time.Time
	return func(ctx context.Context, image string) (docker.RegistryAuth, error) {
		if host == "" || imageHost(image) != host {
			return docker.RegistryAuth{}, nil
		}
		mu.Lock()
		defer mu.Unlock()
		if time.Now().After(renew) {
			u, p, exp, err := ecrToken(ctx, serverURL, accessKeyID, secret, region)
			if err != nil {
				return docker.RegistryAuth{}, err
			}
			user, pass, renew = u, p, exp.Add(-time.Hour)
		}
		return docker.RegistryAuth{Username: user, Password: pass, ServerAddress: host}, nil
	}
}

// imageHost is the registry host of an image reference, or "" for Docker
// Hub's implicit one.
func imageHost(image string) string {
	first, _, ok := strings.Cut(image, "/")
	if !ok || !strings.ContainsAny(first, ".:") && first != "localhost" {
		return ""
	}
	return first
}

// ecrToken calls ECR's GetAuthorizationToken on the server.
func ecrToken(ctx context.Context, serverURL, accessKeyID, secret, region string) (user, pass string, expires time.Time, err error) {
	body := []byte("{}")
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimSuffix(serverURL, "/")+"/", bytes.NewReader(body))
	if err != nil {
		return "", "", time.Time{}, err
	}
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("X-Amz-Target", "AmazonEC2ContainerRegistry_V20150921.GetAuthorizationToken")
	if err := sigv4.Sign(req, body, accessKeyID, secret, region, "ecr", time.Now()); err != nil {
		return "", "", time.Time{}, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", "", time.Time{}, fmt.Errorf("get registry token: %w", err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode != http.StatusOK {
		return "", "", time.Time{}, fmt.Errorf("get registry token: %s: %s", resp.Status, data)
	}
	var out struct {
		AuthorizationData []struct {
			AuthorizationToken string  `json:"authorizationToken"`
			ExpiresAt          float64 `json:"expiresAt"`
		} `json:"authorizationData"`
	}
	if err := json.Unmarshal(data, &out); err != nil || len(out.AuthorizationData) == 0 {
		return "", "", time.Time{}, fmt.Errorf("get registry token: unexpected answer %q", data)
	}
	ad := out.AuthorizationData[0]
	dec, err := base64.StdEncoding.DecodeString(ad.AuthorizationToken)
	if err != nil {
		return "", "", time.Time{}, fmt.Errorf("get registry token: %w", err)
	}
	user, pass, ok := strings.Cut(string(dec), ":")
	if !ok {
		return "", "", time.Time{}, fmt.Errorf("get registry token: malformed token")
	}
	return user, pass, time.Unix(int64(ad.ExpiresAt), 0), nil
}
