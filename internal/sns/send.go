package sns

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/http"
	"net/smtp"
	"net/textproto"
	"strings"
	"time"
)

// deliveryTimeout is how long an endpoint has to answer, as in AWS.
const deliveryTimeout = 15 * time.Second

// permanentError is a failure that retrying cannot mend: an HTTP client
// error other than 429, or an SMTP server's permanent rejection.
type permanentError struct{ err error }

func (e *permanentError) Error() string { return e.err.Error() }
func (e *permanentError) Unwrap() error { return e.err }

// send makes one attempt at delivery d.
func (a *API) send(ctx context.Context, d *deliveryRecord) error {
	switch d.Protocol {
	case "http", "https":
		return a.sendHTTP(ctx, d)
	case "email", "email-json":
		return a.sendEmail(ctx, d)
	}
	return &permanentError{fmt.Errorf("protocol %s is not delivered", d.Protocol)}
}

// sendHTTP POSTs d; a 2xx answer delivers it.
func (a *API) sendHTTP(ctx context.Context, d *deliveryRecord) error {
	ctx, cancel := context.WithTimeout(ctx, deliveryTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.Endpoint, strings.NewReader(d.Body))
	if err != nil {
		return &permanentError{err}
	}
	for k, v := range d.Headers {
		req.Header[k] = []string{v} // as AWS writes them: x-amz-sns-* in lower case
	}
	client := *a.http
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	switch c := resp.StatusCode; {
	case c >= 200 && c < 300:
		return nil
	case c >= 400 && c < 500 && c != http.StatusTooManyRequests:
		return &permanentError{fmt.Errorf("endpoint answered %s", resp.Status)}
	default:
		return fmt.Errorf("endpoint answered %s", resp.Status)
	}
}

// sendEmail hands d to the SMTP server, in plain text, without TLS or
// authentication (a local relay or sink).
func (a *API) sendEmail(ctx context.Context, d *deliveryRecord) error {
	dialer := net.Dialer{Timeout: deliveryTimeout}
	conn, err := dialer.DialContext(ctx, "tcp", a.cfg.SMTPAddr)
	if err != nil {
		return fmt.Errorf("connect to SMTP server: %w", err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(2 * deliveryTimeout))
	host, _, _ := net.SplitHostPort(a.cfg.SMTPAddr)
	c, err := smtp.NewClient(conn, host)
	if err != nil {
		return smtpErr(err)
	}
	defer c.Close()
	if err := c.Mail(emailSender); err != nil {
		return smtpErr(err)
	}
	if err := c.Rcpt(d.Endpoint); err != nil {
		return smtpErr(err)
	}
	w, err := c.Data()
	if err != nil {
		return smtpErr(err)
	}
	if _, err := w.Write(a.emailMessage(d)); err != nil {
		return smtpErr(err)
	}
	if err := w.Close(); err != nil {
		return smtpErr(err)
	}
	c.Quit()
	return nil
}

// smtpErr marks an SMTP server's 5xx rejections permanent.
func smtpErr(err error) error {
	var te *textproto.Error
	if errors.As(err, &te) && te.Code >= 500 {
		return &permanentError{err}
	}
	return err
}

// emailMessage is d as an RFC 5322 message, its body quoted-printable.
func (a *API) emailMessage(d *deliveryRecord) []byte {
	var b bytes.Buffer
	hdr := func(k, v string) { b.WriteString(k + ": " + v + "\r\n") }
	hdr("From", d.From)
	hdr("To", d.Endpoint)
	hdr("Subject", mime.QEncoding.Encode("utf-8", d.Subject))
	hdr("Date", d.Created.UTC().Format(time.RFC1123Z))
	hdr("Message-ID", "<"+d.ID+"@sns.amazonaws.com>")
	hdr("MIME-Version", "1.0")
	hdr("Content-Type", "text/plain; charset=UTF-8")
	hdr("Content-Transfer-Encoding", "quoted-printable")
	b.WriteString("\r\n")
	qp := quotedprintable.NewWriter(&b)
	qp.Write([]byte(strings.ReplaceAll(d.Body, "\n", "\r\n")))
	qp.Close()
	return b.Bytes()
}
