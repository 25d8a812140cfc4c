package sns

import (
	"bytes"
	"net/http"
	"strconv"

	"tide/internal/awserr"
	"tide/internal/awsquery"
)

// CertHandler serves the PEM certificate of the key that signs messages;
// messages name it in SigningCertURL (CertPath on the server).
func (a *API) CertHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		s, err := a.getSigner(r.Context())
		if err != nil {
			a.log.Error("load signing certificate", "err", err)
			http.Error(w, "signing certificate unavailable", http.StatusServiceUnavailable)
			return
		}
		w.Header().Set("Content-Type", "application/x-x509-ca-cert")
		w.Header().Set("Content-Length", strconv.Itoa(len(s.certPEM)))
		w.Write(s.certPEM)
	})
}

// ConfirmHandler serves the SubscribeURL of confirmation messages
// (ConfirmPath on the server): a GET with TopicArn and Token confirms the
// subscription, as AWS's does, without a signature, since the token is
// the secret. It answers with ConfirmSubscription's XML response.
func (a *API) ConfirmHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		in := &ConfirmSubscriptionInput{}
		if q.Has("TopicArn") {
			in.TopicArn = str(q.Get("TopicArn"))
		}
		if q.Has("Token") {
			in.Token = str(q.Get("Token"))
		}
		out, err := a.confirm(r.Context(), in, false)
		a.writeQuery(w, "ConfirmSubscription", out, err)
	})
}

// UnsubscribeHandler serves the UnsubscribeURL of notifications
// (UnsubscribePath on the server): a GET with SubscriptionArn and the
// subscription's unsubscribe Token deletes it, unless it was confirmed
// with AuthenticateOnUnsubscribe, which needs a signed Unsubscribe call.
func (a *API) UnsubscribeHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		arn, token := q.Get("SubscriptionArn"), q.Get("Token")
		err := a.deleteSub(r.Context(), arn, func(s *subRecord) error {
			if s.AuthOnUnsub {
				return awserr.New(http.StatusForbidden, "AuthorizationError", "This subscription requires authentication to unsubscribe")
			}
			if token == "" || token != s.UnsubToken {
				return invalid("Token")
			}
			return nil
		})
		a.writeQuery(w, "Unsubscribe", &empty{}, err)
	})
}

// writeQuery writes an awsquery response or error, as the API would.
func (a *API) writeQuery(w http.ResponseWriter, action string, out any, err error) {
	var buf bytes.Buffer
	status := http.StatusOK
	id := newUUID()
	if err != nil {
		ae := awserr.As(err)
		if ae == nil {
			a.log.Error(action+" failed", "err", err)
			ae = awserr.Internal()
		}
		fault := "Sender"
		if ae.Status >= 500 {
			fault = "Receiver"
		}
		status = ae.Status
		awsquery.WriteError(&buf, Namespace, fault, ae.Code, ae.Message, id)
	} else {
		awsquery.WriteResult(&buf, Namespace, action, id, out)
	}
	w.Header().Set("Content-Type", "text/xml")
	w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}
