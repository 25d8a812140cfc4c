package sns

import (
	"context"
	"maps"
	"net/mail"
	"net/url"
)

// The paths of the handlers that messages link to; the server mounts
// CertHandler, ConfirmHandler and UnsubscribeHandler there.
const (
	CertPath        = "/_tide/sns/cert.pem"
	ConfirmPath     = "/_tide/sns/confirm"
	UnsubscribePath = "/_tide/sns/unsubscribe"
)

// userAgent is the User-Agent of HTTP/S deliveries.
const userAgent = "Amazon Simple Notification Service Agent"

// emailSender is the address email deliveries come from, as AWS's do.
const emailSender = "no-reply@sns.amazonaws.com"

// defaultEmailSubject is the subject of email notifications published
// without one.
const defaultEmailSubject = "AWS Notification Message"

func subscribeURL(base, topicARN, token string) string {
	return base + ConfirmPath + "?" + url.Values{"Action": {"ConfirmSubscription"}, "TopicArn": {topicARN}, "Token": {token}}.Encode()
}

func unsubscribeURL(base, subARN, token string) string {
	return base + UnsubscribePath + "?" + url.Values{"Action": {"Unsubscribe"}, "SubscriptionArn": {subARN}, "Token": {token}}.Encode()
}

// confirmation renders the SubscriptionConfirmation of subscription s.
func (a *API) confirmation(ctx context.Context, t *topicRecord, s *subRecord) (*deliveryRecord, error) {
	topicARN := a.topicARN(t.Name)
	m := &message{
		Type: "SubscriptionConfirmation", MessageId: newUUID(), Token: s.Token, TopicArn: topicARN,
		Message:      "You have chosen to subscribe to the topic " + topicARN + ".\nTo confirm the subscription, visit the SubscribeURL included in this message.",
		SubscribeURL: subscribeURL(s.BaseURL, topicARN, s.Token),
	}
	d := a.newDelivery(t, s, m.Type, "AWS Notification - Subscription Confirmation")
	if s.Protocol == "email" {
		d.Body = "You have chosen to subscribe to the topic: \n" + topicARN +
			"\n\nTo confirm this subscription, click or visit the link below (If this was in error no action is necessary): \n" +
			"Confirm subscription: " + m.SubscribeURL + "\n\nPlease do not reply directly to this email.\n"
		return d, nil
	}
	return d, a.renderJSON(ctx, t, s, d, m)
}

// notification renders message msg for subscription s.
func (a *API) notification(ctx context.Context, t *topicRecord, s *subRecord, msg *messageRecord) (*deliveryRecord, error) {
	text, ok := msg.PerProto[s.Protocol]
	if !ok {
		text = msg.Message
	}
	subject := msg.Subject
	if subject == "" {
		subject = defaultEmailSubject
	}
	d := a.newDelivery(t, s, "Notification", subject)
	d.Created = msg.Timestamp
	if d.Headers != nil {
		d.Headers["x-amz-sns-subscription-arn"] = d.SubscriptionArn
	}
	unsub := unsubscribeURL(s.BaseURL, d.SubscriptionArn, s.UnsubToken)
	switch {
	case s.Protocol == "email":
		d.Body = text + "\n\n--\nIf you wish to stop receiving notifications from this topic, please click or visit the link below to unsubscribe:\n" +
			unsub + "\n\nPlease do not reply directly to this email.\n"
		return d, nil
	case s.Attributes["RawMessageDelivery"] == "true":
		d.Headers["x-amz-sns-rawdelivery"] = "true"
		d.Headers["x-amz-sns-message-id"] = msg.ID
		d.Body = text
		return d, nil
	}
	m := &message{Type: "Notification", MessageId: msg.ID, TopicArn: d.TopicArn, Subject: msg.Subject, Message: text,
		UnsubscribeURL: unsub, MessageAttributes: maps.Clone(msg.Attributes)}
	return d, a.renderJSON(ctx, t, s, d, m)
}

// newDelivery is a delivery of a message of type typ to s, due now.
func (a *API) newDelivery(t *topicRecord, s *subRecord, typ, subject string) *deliveryRecord {
	now := a.now()
	d := &deliveryRecord{
		ID: seqID(now, newUUID()), SubKey: subKey(s.Topic, s.ID), SubscriptionArn: a.subARN(s), TopicArn: a.topicARN(t.Name),
		Type: typ, Protocol: s.Protocol, Endpoint: s.Endpoint, NextAt: now, Created: now,
	}
	switch s.Protocol {
	case "email", "email-json":
		d.Policy = emailRetry
		d.Subject = subject
		name := t.Attributes["DisplayName"]
		if name == "" {
			name = "AWS Notifications"
		}
		d.From = (&mail.Address{Name: name, Address: emailSender}).String()
	default:
		var ct string
		d.Policy, ct = effective(t.Attributes["DeliveryPolicy"], s.Attributes["DeliveryPolicy"])
		d.Headers = map[string]string{
			"x-amz-sns-message-type": typ,
			"x-amz-sns-topic-arn":    d.TopicArn,
			"Content-Type":           ct,
			"User-Agent":             userAgent,
		}
	}
	return d
}

// renderJSON signs m and makes it d's body.
func (a *API) renderJSON(ctx context.Context, t *topicRecord, s *subRecord, d *deliveryRecord, m *message) error {
	sg, err := a.getSigner(ctx)
	if err != nil {
		return err
	}
	m.Timestamp = d.Created.UTC().Format(timestampFormat)
	m.SignatureVersion = a.topicAttr(t, "SignatureVersion")
	m.SigningCertURL = s.BaseURL + CertPath
	if err := sg.sign(m); err != nil {
		return err
	}
	if d.Headers != nil {
		d.Headers["x-amz-sns-message-id"] = m.MessageId
	}
	d.Body = compactJSON(m)
	return nil
}
