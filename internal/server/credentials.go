package server

import (
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// Credentials is the access key pair that Tide accepts.
type Credentials struct {
	AccessKeyID     string `json:"accessKeyId"`
	SecretAccessKey string `json:"secretAccessKey"`
}

const credentialsFile = "credentials.json"

// loadCredentials returns the configured pair, else the one stored in dir,
// else a new pair that it stores there (mode 0600). generated reports the
// last case.
func loadCredentials(dir string, given Credentials) (c Credentials, generated bool, err error) {
	if given.AccessKeyID != "" || given.SecretAccessKey != "" {
		if given.AccessKeyID == "" || given.SecretAccessKey == "" {
			return c, false, errors.New("both an access key ID and a secret access key are needed")
		}
		return given, false, nil
	}
	path := filepath.Join(dir, credentialsFile)
	b, err := os.ReadFile(path)
	if err == nil {
		if err := json.Unmarshal(b, &c); err != nil || c.AccessKeyID == "" || c.SecretAccessKey == "" {
			return c, false, fmt.Errorf("%s is not a valid credentials file", path)
		}
		return c, false, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return c, false, err
	}
	c = Credentials{AccessKeyID: "AKIA" + randomString(16, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"), SecretAccessKey: randomString(40, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")}
	b, _ = json.MarshalIndent(c, "", "  ")
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return c, false, err
	}
	if err := os.Rename(tmp, path); err != nil {
		return c, false, err
	}
	return c, true, nil
}

func randomString(n int, alphabet string) string {
	b := make([]byte, n)
	rand.Read(b)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}
