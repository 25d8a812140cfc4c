package sns

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/http"
	"net/mail"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
)

// smtpSink is a tiny SMTP server that keeps what it is sent.
type smtpSink struct {
	l     net.Listener
	mu    sync.Mutex
	mails []sentMail
}

type sentMail struct {
	From, To string
	Header   mail.Header
	Body     string
}

func newSMTPSink(t *testing.T) *smtpSink {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &smtpSink{l: l}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() { defer wg.Done(); s.serve(t, c) }()
		}
	}()
	t.Cleanup(func() { l.Close(); wg.Wait() })
	return s
}

func (s *smtpSink) serve(t *testing.T, c net.Conn) {
	defer c.Close()
	r := bufio.NewReader(c)
	say := func(line string) { io.WriteString(c, line+"\r\n") }
	say("220 sink ESMTP")
	var from, to string
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		cmd := strings.ToUpper(strings.TrimSpace(line))
		switch {
		case strings.HasPrefix(cmd, "EHLO"), strings.HasPrefix(cmd, "HELO"):
			say("250 sink")
		case strings.HasPrefix(cmd, "MAIL FROM:"):
			from = strings.Trim(strings.TrimSpace(line)[10:], "<>")
			say("250 ok")
		case strings.HasPrefix(cmd, "RCPT TO:"):
			to = strings.Trim(strings.TrimSpace(line)[8:], "<>")
			say("250 ok")
		case cmd == "DATA":
			say("354 go ahead")
			var data strings.Builder
			for {
				l, err := r.ReadString('\n')
				if err != nil {
					return
				}
				if l == ".\r\n" {
					break
				}
				data.WriteString(strings.TrimPrefix(l, "."))
			}
			s.keep(t, from, to, data.String())
			say("250 queued")
		case cmd == "QUIT":
			say("221 bye")
			return
		default:
			say("250 ok")
		}
	}
}

func (s *smtpSink) keep(t *testing.T, from, to, data string) {
	m, err := mail.ReadMessage(strings.NewReader(data))
	if err != nil {
		t.Errorf("sink got a malformed message: %v", err)
		return
	}
	body, err := io.ReadAll(quotedprintable.NewReader(m.Body))
	if err != nil {
		t.Errorf("sink got a malformed body: %v", err)
	}
	s.mu.Lock()
	s.mails = append(s.mails, sentMail{From: from, To: to, Header: m.Header, Body: strings.ReplaceAll(string(body), "\r\n", "\n")})
	s.mu.Unlock()
}

func (s *smtpSink) sent() []sentMail {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]sentMail(nil), s.mails...)
}

var confirmLink = regexp.MustCompile(`Confirm subscription: (\S+)`)

func TestEmail(t *testing.T) {
	sink := newSMTPSink(t)
	h := newHarness(t, harnessOpts{smtpAddr: sink.l.Addr().String()})
	h.run(t)
	ctx := context.Background()
	topic := h.createTopic(t, "mail")
	h.sdk.SetTopicAttributes(ctx, &sns.SetTopicAttributesInput{TopicArn: &topic, AttributeName: aws.String("DisplayName"), AttributeValue: aws.String("Ops, Inc")})
	out, err := h.sdk.Subscribe(ctx, &sns.SubscribeInput{TopicArn: &topic, Protocol: aws.String("email"),
		Endpoint: aws.String("ops@example.com"), ReturnSubscriptionArn: true})
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, "the confirmation email", func() bool { return len(sink.sent()) == 1 })
	c := sink.sent()[0]
	if c.To != "ops@example.com" || c.Header.Get("Subject") != "AWS Notification - Subscription Confirmation" {
		t.Errorf("confirmation email to %s, subject %q", c.To, c.Header.Get("Subject"))
	}
	if from, err := mail.ParseAddress(c.Header.Get("From")); err != nil || from.Name != "Ops, Inc" || from.Address != emailSender {
		t.Errorf("From = %q (%v)", c.Header.Get("From"), err)
	}
	link := confirmLink.FindStringSubmatch(c.Body)
	if link == nil {
		t.Fatalf("no confirmation link in %q", c.Body)
	}
	resp, err := http.Get(link[1])
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("confirmation link answered %s", resp.Status)
	}
	attrs, err := h.sdk.GetSubscriptionAttributes(ctx, &sns.GetSubscriptionAttributesInput{SubscriptionArn: out.SubscriptionArn})
	if err != nil || attrs.Attributes["PendingConfirmation"] != "false" || attrs.Attributes["ConfirmationWasAuthenticated"] != "false" {
		t.Fatalf("after confirming: %v %v", attrs, err)
	}
	if _, err := h.sdk.Publish(ctx, &sns.PublishInput{TopicArn: &topic, Subject: aws.String("Disk: 95 % — full"), Message: aws.String("the disk is full\nline two")}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the notification email", func() bool { return len(sink.sent()) == 2 })
	n := sink.sent()[1]
	subject, _ := new(mime.WordDecoder).DecodeHeader(n.Header.Get("Subject"))
	if subject != "Disk: 95 % — full" {
		t.Errorf("Subject = %q", subject)
	}
	if !strings.HasPrefix(n.Body, "the disk is full\nline two\n") || !strings.Contains(n.Body, UnsubscribePath+"?") {
		t.Errorf("notification body %q", n.Body)
	}
}

func TestEmailJSON(t *testing.T) {
	sink := newSMTPSink(t)
	h := newHarness(t, harnessOpts{smtpAddr: sink.l.Addr().String()})
	h.run(t)
	ctx := context.Background()
	topic := h.createTopic(t, "mailjson")
	if _, err := h.sdk.Subscribe(ctx, &sns.SubscribeInput{TopicArn: &topic, Protocol: aws.String("email-json"), Endpoint: aws.String("dev@example.com")}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the confirmation email", func() bool { return len(sink.sent()) == 1 })
	var conf map[string]any
	if err := json.Unmarshal([]byte(sink.sent()[0].Body), &conf); err != nil {
		t.Fatalf("email-json confirmation is not JSON: %v", err)
	}
	if err := verifySignature(conf); err != nil {
		t.Errorf("confirmation signature: %v", err)
	}
	if _, err := h.sdk.ConfirmSubscription(ctx, &sns.ConfirmSubscriptionInput{TopicArn: &topic, Token: aws.String(conf["Token"].(string))}); err != nil {
		t.Fatal(err)
	}
	if _, err := h.sdk.Publish(ctx, &sns.PublishInput{TopicArn: &topic, Message: aws.String("hello")}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the notification email", func() bool { return len(sink.sent()) == 2 })
	var n map[string]any
	if err := json.Unmarshal([]byte(sink.sent()[1].Body), &n); err != nil {
		t.Fatal(err)
	}
	if n["Type"] != "Notification" || n["Message"] != "hello" {
		t.Errorf("email-json notification %v", n)
	}
	if err := verifySignature(n); err != nil {
		t.Errorf("notification signature: %v", err)
	}
	if got := sink.sent()[1].Header.Get("Subject"); got != defaultEmailSubject {
		t.Errorf("Subject = %q, want %q", got, defaultEmailSubject)
	}
}
