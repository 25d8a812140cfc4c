package imagebuild

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"tide/internal/sigv4"
)

// ecrTarget is the X-Amz-Target of ECR's GetAuthorizationToken.
const ecrTarget = "AmazonEC2ContainerRegistry_V20150921.GetAuthorizationToken"

// ECRToken calls ECR's GetAuthorizationToken on endpoint (Tide's API, such
// as "http://127.0.0.1:4566"), signed for region with the access key, and
// returns the registry credentials it grants: the user ("AWS") and the
// password to send as HTTP Basic authentication. An error the service
// answered with reads "CODE: message".
func ECRToken(ctx context.Context, endpoint, region, accessKeyID, secret string) (user, password string, err error) {
	body := []byte("{}")
	url := strings.TrimRight(endpoint, "/") + "/"
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return "", "", fmt.Errorf("get ECR authorization token: %w", err)
	}
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("X-Amz-Target", ecrTarget)
	if err := sigv4.Sign(req, body, accessKeyID, secret, region, "ecr", time.Now()); err != nil {
		return "", "", fmt.Errorf("get ECR authorization token: sign: %w", err)
	}
	client := &http.Client{Timeout: 30 * time.Second}
	resp, err := client.Do(req)
	if err != nil {
		return "", "", fmt.Errorf("get ECR authorization token: %w", err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return "", "", fmt.Errorf("get ECR authorization token from %s: %w", url, err)
	}
	if resp.StatusCode != http.StatusOK {
		return "", "", fmt.Errorf("get ECR authorization token from %s: %s", url, awsError(resp, data))
	}
	user, password, err = decodeToken(data)
	if err != nil {
		return "", "", fmt.Errorf("get ECR authorization token from %s: %w", url, err)
	}
	return user, password, nil
}

// decodeToken reads a GetAuthorizationToken response.
func decodeToken(data []byte) (user, password string, err error) {
	var out struct {
		AuthorizationData []struct {
			AuthorizationToken string  `json:"authorizationToken"`
			ExpiresAt          float64 `json:"expiresAt"`
			ProxyEndpoint      string  `json:"proxyEndpoint"`
		} `json:"authorizationData"`
	}
	if err := json.Unmarshal(data, &out); err != nil {
		return "", "", fmt.Errorf("decode response: %w", err)
	}
	if len(out.AuthorizationData) == 0 {
		return "", "", fmt.Errorf("response has no authorizationData")
	}
	raw, err := base64.StdEncoding.DecodeString(out.AuthorizationData[0].AuthorizationToken)
	if err != nil {
		return "", "", fmt.Errorf("authorizationToken is not base64: %w", err)
	}
	user, password, ok := strings.Cut(string(raw), ":")
	if !ok || user == "" || password == "" {
		return "", "", fmt.Errorf("authorizationToken is not USER:PASSWORD")
	}
	return user, password, nil
}

// awsError describes an AWS JSON 1.1 error response as "CODE: message".
func awsError(resp *http.Response, data []byte) string {
	var e struct {
		Type     string `json:"__type"`
		Message  string `json:"message"`
		MessageU string `json:"Message"`
	}
	_ = json.Unmarshal(data, &e)
	code := e.Type
	if code == "" {
		code = resp.Header.Get("X-Amzn-Errortype")
	}
	// A __type may be namespaced ("com.amazonaws.ecr#RepositoryNotFoundException")
	// and an error type header may carry a suffix after ':'.
	if i := strings.LastIndexByte(code, '#'); i >= 0 {
		code = code[i+1:]
	}
	code, _, _ = strings.Cut(code, ":")
	msg := e.Message
	if msg == "" {
		msg = e.MessageU
	}
	switch {
	case code != "" && msg != "":
		return code + ": " + msg
	case code != "":
		return code
	default:
		return fmt.Sprintf("HTTP %d %s", resp.StatusCode, http.StatusText(resp.StatusCode))
	}
}
