package elbv2

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
)

// AWS's limit of listeners per load balancer.
const maxListeners = 50

// defaultSSLPolicy is the policy HTTPS listeners get when none is given.
const defaultSSLPolicy = "ELBSecurityPolicy-2016-08"

// CreateListenerInput is the CreateListener request.
type CreateListenerInput struct {
	LoadBalancerArn *string
	Protocol        *string
	Port            *int32
	SslPolicy       *string
	Certificates    []Certificate
	DefaultActions  []Action
	Tags            []Tag
}

// ListenersOutput is the response of CreateListener and ModifyListener.
type ListenersOutput struct {
	Listeners []Listener
}

// errSame stops an update that finds its work already done.
var errSame = errors.New("elbv2: already so")

// certFiles resolves a certificate "ARN" to the PEM files that hold the
// certificate chain and its key. Tide has no ACM: the ARN is
// "file:///path/cert-and-key.pem" (one file with both) or
// "file:///path/cert.pem,file:///path/key.pem", and the pair must load.
func certFiles(arn string) (certFile, keyFile string, err error) {
	notFound := func(why string) error {
		return clientErr("CertificateNotFound", "Certificate '%s' not found: %s", arn, why)
	}
	parts := strings.Split(arn, ",")
	if len(parts) > 2 {
		return "", "", notFound("give file:///path/cert-and-key.pem or file:///path/cert.pem,file:///path/key.pem (Tide has no ACM)")
	}
	var paths []string
	for _, p := range parts {
		path, ok := strings.CutPrefix(strings.TrimSpace(p), "file://")
		if !ok || !filepath.IsAbs(path) {
			return "", "", notFound("give file:///path/cert-and-key.pem or file:///path/cert.pem,file:///path/key.pem (Tide has no ACM)")
		}
		paths = append(paths, path)
	}
	certFile, keyFile = paths[0], paths[len(paths)-1]
	if _, err := tls.LoadX509KeyPair(certFile, keyFile); err != nil {
		return "", "", notFound(err.Error())
	}
	return certFile, keyFile, nil
}

// checkTLS validates an HTTPS listener's certificates and SSL policy, or
// that an HTTP listener has none, and returns the certificate ARNs and
// policy to store. Certificates nil keeps cur.
func checkTLS(protocol string, certs []Certificate, policy *string, cur []string) ([]string, string, error) {
	if protocol != "HTTPS" {
		if len(certs) > 0 {
			return nil, "", invalidConfig("Certificates cannot be specified for listeners with the %s protocol", protocol)
		}
		if policy != nil {
			return nil, "", invalidConfig("An SSL policy cannot be specified for listeners with the %s protocol", protocol)
		}
		return nil, "", nil
	}
	arns := cur
	if certs != nil {
		if len(certs) != 1 {
			return nil, "", invalidConfig("You must provide a list containing exactly one certificate if the listener protocol is HTTPS.")
		}
		if certs[0].CertificateArn == nil {
			return nil, "", missing("certificates.1.member.certificateArn")
		}
		if _, _, err := certFiles(*certs[0].CertificateArn); err != nil {
			return nil, "", err
		}
		arns = []string{*certs[0].CertificateArn}
	}
	if len(arns) == 0 {
		return nil, "", invalidConfig("You must provide a list containing exactly one certificate if the listener protocol is HTTPS.")
	}
	p := defaultSSLPolicy
	if policy != nil {
		if !strings.HasPrefix(*policy, "ELBSecurityPolicy-") {
			return nil, "", clientErr("SSLPolicyNotFound", "SSL policy '%s' not found", *policy)
		}
		p = *policy
	}
	return arns, p, nil
}

func checkListenerProtocol(protocol *string, port *int32, required bool) error {
	if err := checkEnum(protocol, "protocol", protocols...); err != nil {
		return err
	}
	if err := checkRange(port, "port", 1, 65535); err != nil {
		return err
	}
	if required && protocol == nil {
		return invalid("A listener protocol must be specified")
	}
	if required && port == nil {
		return invalid("A listener port must be specified")
	}
	if protocol != nil && *protocol != "HTTP" && *protocol != "HTTPS" {
		return invalid("Listener protocol '%s' must be one of 'HTTPS, HTTP'", *protocol)
	}
	return nil
}

// createListener adds a listener to a load balancer. Creating one on a
// port the load balancer already listens on with the same settings
// returns that listener, as AWS does.
func (a *API) createListener(ctx context.Context, in *CreateListenerInput) (*ListenersOutput, error) {
	if in.LoadBalancerArn == nil {
		return nil, missing("loadBalancerArn")
	}
	if err := checkListenerProtocol(in.Protocol, in.Port, true); err != nil {
		return nil, err
	}
	actions, err := checkActions(in.DefaultActions, "defaultActions")
	if err != nil {
		return nil, err
	}
	certs, policy, err := checkTLS(*in.Protocol, in.Certificates, in.SslPolicy, nil)
	if err != nil {
		return nil, err
	}
	tags, err := checkTags(in.Tags)
	if err != nil {
		return nil, err
	}
	name, id, err := a.parseLBARN(*in.LoadBalancerArn)
	if err != nil {
		return nil, err
	}
	l := &listenerRecord{
		ID: newID(), DefaultRuleID: newID(), Port: *in.Port, Protocol: *in.Protocol, SslPolicy: policy,
		Certificates: certs, DefaultActions: actions, Tags: tags,
	}
	var same *listenerRecord
	r, err := a.updateLB(ctx, name, id, func(r *lbRecord) error {
		for _, o := range r.Listeners {
			if o.Port != l.Port {
				continue
			}
			if o.Protocol == l.Protocol && o.SslPolicy == l.SslPolicy && slices.Equal(o.Certificates, l.Certificates) && sameJSON(o.DefaultActions, l.DefaultActions) {
				same = o
				return errSame
			}
			return clientErr("DuplicateListener", "A listener already exists on this port for this load balancer '%s'", a.lbARN(r))
		}
		if len(r.Listeners) >= maxListeners {
			return clientErr("TooManyListeners", "You've reached the limit on the number of listeners per load balancer (%d)", maxListeners)
		}
		r.Listeners = append(r.Listeners, l)
		sortListeners(r)
		return nil
	})
	if errors.Is(err, errSame) {
		r, _, err = a.lb(name, id)
		l = same
	}
	if err != nil {
		return nil, err
	}
	return &ListenersOutput{Listeners: []Listener{a.describeListener(r, l)}}, nil
}

func sameJSON(x, y any) bool { return string(mustJSON(x)) == string(mustJSON(y)) }

func sortListeners(r *lbRecord) {
	slices.SortFunc(r.Listeners, func(x, y *listenerRecord) int { return int(x.Port) - int(y.Port) })
}

func (a *API) describeListener(r *lbRecord, l *listenerRecord) Listener {
	out := Listener{
		ListenerArn: a.listenerARN(r, l), LoadBalancerArn: a.lbARN(r), Port: l.Port, Protocol: l.Protocol,
		DefaultActions: l.DefaultActions,
	}
	if l.Protocol == "HTTPS" {
		for _, c := range l.Certificates {
			out.Certificates = append(out.Certificates, Certificate{CertificateArn: str(c)})
		}
		out.SslPolicy = str(l.SslPolicy)
	}
	return out
}

// listener returns the listener ref names with its load balancer, or
// ListenerNotFound.
func (a *API) listener(ref listenerRef) (*lbRecord, *listenerRecord, error) {
	r, _, err := a.lb(ref.lbName, ref.lbID)
	if isCode(err, "LoadBalancerNotFound") {
		return nil, nil, listenerNotFound()
	}
	if err != nil {
		return nil, nil, err
	}
	l := r.listener(ref.listenerID)
	if l == nil {
		return nil, nil, listenerNotFound()
	}
	return r, l, nil
}

// updateListener runs fn on the listener ref names within updateLB.
func (a *API) updateListener(ctx context.Context, ref listenerRef, fn func(r *lbRecord, l *listenerRecord) error) (*lbRecord, error) {
	r, err := a.updateLB(ctx, ref.lbName, ref.lbID, func(r *lbRecord) error {
		l := r.listener(ref.listenerID)
		if l == nil {
			return listenerNotFound()
		}
		return fn(r, l)
	})
	if isCode(err, "LoadBalancerNotFound") {
		return nil, listenerNotFound()
	}
	return r, err
}

// DescribeListenersInput is the DescribeListeners request.
type DescribeListenersInput struct {
	LoadBalancerArn *string
	ListenerArns    []string
	Marker          *string
	PageSize        *int32
}

// DescribeListenersOutput is the DescribeListeners response.
type DescribeListenersOutput struct {
	Listeners  []Listener
	NextMarker *string
}

type listenerItem struct {
	r *lbRecord
	l *listenerRecord
}

func (it listenerItem) key() string { return fmt.Sprintf("%s/%05d", it.r.Name, it.l.Port) }

// describeListeners lists a load balancer's listeners, or those named, in
// port order.
func (a *API) describeListeners(ctx context.Context, in *DescribeListenersInput) (*DescribeListenersOutput, error) {
	if err := checkRange(in.PageSize, "pageSize", 1, 400); err != nil {
		return nil, err
	}
	var items []listenerItem
	switch {
	case in.LoadBalancerArn != nil && in.ListenerArns != nil:
		return nil, invalid("Listener ARNs and a load balancer ARN cannot be specified at the same time")
	case in.LoadBalancerArn != nil:
		r, _, err := a.lbByARN(*in.LoadBalancerArn)
		if err != nil {
			return nil, err
		}
		for _, l := range r.Listeners {
			items = append(items, listenerItem{r, l})
		}
	case in.ListenerArns != nil:
		for _, arn := range in.ListenerArns {
			ref, err := a.parseListenerARN(arn)
			if err != nil {
				return nil, err
			}
			r, l, err := a.listener(ref)
			if err != nil {
				return nil, err
			}
			items = append(items, listenerItem{r, l})
		}
	default:
		return nil, invalid("You must specify either listener ARNs or a load balancer ARN")
	}
	slices.SortFunc(items, func(x, y listenerItem) int { return strings.Compare(x.key(), y.key()) })
	items = slices.CompactFunc(items, func(x, y listenerItem) bool { return x.key() == y.key() })
	pg, next, err := page(items, listenerItem.key, in.Marker, in.PageSize)
	if err != nil {
		return nil, err
	}
	out := &DescribeListenersOutput{Listeners: []Listener{}, NextMarker: next}
	for _, it := range pg {
		out.Listeners = append(out.Listeners, a.describeListener(it.r, it.l))
	}
	return out, nil
}

// ModifyListenerInput is the ModifyListener request.
type ModifyListenerInput struct {
	ListenerArn    *string
	Port           *int32
	Protocol       *string
	SslPolicy      *string
	Certificates   []Certificate
	DefaultActions []Action
}

// modifyListener changes a listener's port, protocol, certificate, SSL
// policy or default actions.
func (a *API) modifyListener(ctx context.Context, in *ModifyListenerInput) (*ListenersOutput, error) {
	if in.ListenerArn == nil {
		return nil, missing("listenerArn")
	}
	if err := checkListenerProtocol(in.Protocol, in.Port, false); err != nil {
		return nil, err
	}
	var actions []Action
	if in.DefaultActions != nil {
		var err error
		if actions, err = checkActions(in.DefaultActions, "defaultActions"); err != nil {
			return nil, err
		}
	}
	if in.Certificates != nil {
		// Checked here once, not on every retry of the update.
		if _, _, err := checkTLS("HTTPS", in.Certificates, nil, nil); err != nil {
			return nil, err
		}
	}
	ref, err := a.parseListenerARN(*in.ListenerArn)
	if err != nil {
		return nil, err
	}
	var out *listenerRecord
	r, err := a.updateListener(ctx, ref, func(r *lbRecord, l *listenerRecord) error {
		proto := l.Protocol
		if in.Protocol != nil {
			proto = *in.Protocol
		}
		cur, policy := l.Certificates, in.SslPolicy
		if policy == nil && proto == "HTTPS" && l.SslPolicy != "" {
			policy = &l.SslPolicy
		}
		certs, pol, err := checkTLS(proto, in.Certificates, policy, cur)
		if err != nil {
			return err
		}
		if in.Port != nil && *in.Port != l.Port {
			for _, o := range r.Listeners {
				if o.Port == *in.Port {
					return clientErr("DuplicateListener", "A listener already exists on this port for this load balancer '%s'", a.lbARN(r))
				}
			}
			l.Port = *in.Port
			sortListeners(r)
		}
		l.Protocol, l.Certificates, l.SslPolicy = proto, certs, pol
		if actions != nil {
			l.DefaultActions = actions
		}
		out = l
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &ListenersOutput{Listeners: []Listener{a.describeListener(r, out)}}, nil
}

// ListenerArnInput is the request of DeleteListener.
type ListenerArnInput struct {
	ListenerArn *string
}

// deleteListener deletes a listener with its rules.
func (a *API) deleteListener(ctx context.Context, in *ListenerArnInput) (*empty, error) {
	if in.ListenerArn == nil {
		return nil, missing("listenerArn")
	}
	ref, err := a.parseListenerARN(*in.ListenerArn)
	if err != nil {
		return nil, err
	}
	_, err = a.updateListener(ctx, ref, func(r *lbRecord, l *listenerRecord) error {
		r.Listeners = slices.DeleteFunc(r.Listeners, func(o *listenerRecord) bool { return o.ID == l.ID })
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &empty{}, nil
}
