package sns

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"time"

	"tide/internal/store"
)

// signingRecord is the message-signing key and its self-signed
// certificate, at sns/signing, made once and shared by every server.
type signingRecord struct {
	Key  string `json:"key"`  // PKCS #8, PEM
	Cert string `json:"cert"` // PEM
}

type signer struct {
	key     *rsa.PrivateKey
	certPEM []byte
}

// signer returns the signing key, loading it from the store or making
// and storing it on first use.
func (a *API) getSigner(ctx context.Context) (*signer, error) {
	a.signMu.Lock()
	defer a.signMu.Unlock()
	if a.signer != nil {
		return a.signer, nil
	}
	kv, ok := a.store.Get(signingKey)
	if !ok {
		rec, err := newSigningRecord(a.now())
		if err != nil {
			return nil, err
		}
		_, err = a.store.Create(ctx, signingKey, mustJSON(rec))
		if err != nil && !errors.Is(err, store.ErrExists) {
			return nil, fmt.Errorf("store signing key: %w", err)
		}
		if kv, ok = a.store.Get(signingKey); !ok {
			return nil, fmt.Errorf("signing key vanished from the store")
		}
	}
	rec, err := decode[signingRecord](kv)
	if err != nil {
		return nil, err
	}
	s, err := parseSigningRecord(rec)
	if err != nil {
		return nil, err
	}
	a.signer = s
	return s, nil
}

func newSigningRecord(now time.Time) (*signingRecord, error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, fmt.Errorf("generate signing key: %w", err)
	}
	serial, _ := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 120))
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: "sns.tide.local", Organization: []string{"Tide"}},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.AddDate(20, 0, 0),
		KeyUsage:     x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, fmt.Errorf("make signing certificate: %w", err)
	}
	pk, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("encode signing key: %w", err)
	}
	return &signingRecord{
		Key:  string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pk})),
		Cert: string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})),
	}, nil
}

func parseSigningRecord(rec *signingRecord) (*signer, error) {
	block, _ := pem.Decode([]byte(rec.Key))
	if block == nil {
		return nil, fmt.Errorf("signing key: not PEM")
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("signing key: %w", err)
	}
	key, ok := k.(*rsa.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("signing key: not RSA")
	}
	return &signer{key: key, certPEM: []byte(rec.Cert)}, nil
}

// message is the JSON document of an HTTP/S or email-json delivery, with
// AWS's member order.
type message struct {
	Type              string                    `json:"Type"`
	MessageId         string                    `json:"MessageId"`
	Token             string                    `json:"Token,omitempty"`
	TopicArn          string                    `json:"TopicArn"`
	Subject           string                    `json:"Subject,omitempty"`
	Message           string                    `json:"Message"`
	SubscribeURL      string                    `json:"SubscribeURL,omitempty"`
	Timestamp         string                    `json:"Timestamp"`
	SignatureVersion  string                    `json:"SignatureVersion"`
	Signature         string                    `json:"Signature"`
	SigningCertURL    string                    `json:"SigningCertURL"`
	UnsubscribeURL    string                    `json:"UnsubscribeURL,omitempty"`
	MessageAttributes map[string]attributeValue `json:"MessageAttributes,omitempty"`
}

// timestampFormat is how messages write their Timestamp.
const timestampFormat = "2006-01-02T15:04:05.000Z"

// stringToSign is the canonical form AWS signs: "Name\nvalue\n" for each
// signed member in byte order of the names, Subject only when present.
func stringToSign(m *message) string {
	var b strings.Builder
	add := func(k, v string) { b.WriteString(k + "\n" + v + "\n") }
	add("Message", m.Message)
	add("MessageId", m.MessageId)
	if m.Type == "Notification" {
		if m.Subject != "" {
			add("Subject", m.Subject)
		}
	} else {
		add("SubscribeURL", m.SubscribeURL)
	}
	add("Timestamp", m.Timestamp)
	if m.Type != "Notification" {
		add("Token", m.Token)
	}
	add("TopicArn", m.TopicArn)
	add("Type", m.Type)
	return b.String()
}

// sign sets m's Signature with SignatureVersion 1 (SHA1withRSA) or 2
// (SHA256withRSA).
func (s *signer) sign(m *message) error {
	data := []byte(stringToSign(m))
	var sig []byte
	var err error
	if m.SignatureVersion == "2" {
		sum := sha256.Sum256(data)
		sig, err = rsa.SignPKCS1v15(nil, s.key, crypto.SHA256, sum[:])
	} else {
		sum := sha1.Sum(data)
		sig, err = rsa.SignPKCS1v15(nil, s.key, crypto.SHA1, sum[:])
	}
	if err != nil {
		return fmt.Errorf("sign message: %w", err)
	}
	m.Signature = base64.StdEncoding.EncodeToString(sig)
	return nil
}
