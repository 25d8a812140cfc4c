package elbv2

import (
	"context"
	"errors"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"tide/internal/store"
)

// canonicalHostedZoneID is what Tide reports as every load balancer's
// Route 53 zone: us-east-1's ALB zone (Tide has no Route 53).
const canonicalHostedZoneID = "Z35SXDOTRQ7X7K"

var nameRE = regexp.MustCompile(`^[A-Za-z0-9-]+$`)

// checkName validates a load balancer or target group name as AWS does:
// 1 to 32 alphanumerics and hyphens, not starting or ending with a hyphen.
func checkName(kind, name string) error {
	switch {
	case name == "":
		return invalid("%s name cannot be empty", kind)
	case len(name) > 32:
		return invalid("%s name '%s' cannot be longer than '32' characters", kind, name)
	case !nameRE.MatchString(name):
		return invalid("%s name '%s' can only contain characters that are alphanumeric characters or hyphens(-)", kind, name)
	case strings.HasPrefix(name, "-") || strings.HasSuffix(name, "-"):
		return invalid("%s name '%s' cannot begin or end with '-'", kind, name)
	}
	return nil
}

// CreateLoadBalancerInput is the CreateLoadBalancer request.
type CreateLoadBalancerInput struct {
	Name           *string
	Subnets        []string
	SubnetMappings []SubnetMapping
	SecurityGroups []string
	Scheme         *string
	Tags           []Tag
	Type           *string
	IpAddressType  *string
}

// LoadBalancersOutput is the CreateLoadBalancer response.
type LoadBalancersOutput struct {
	LoadBalancers []LoadBalancer
}

// createLoadBalancer creates an application load balancer. Subnets and
// security groups are kept and reported; Tide has no VPC to place them in.
// Creating one that exists with the same settings returns it, as AWS does.
func (a *API) createLoadBalancer(ctx context.Context, in *CreateLoadBalancerInput) (*LoadBalancersOutput, error) {
	if in.Name == nil {
		return nil, missing("name")
	}
	name := *in.Name
	if err := checkName("Load balancer", name); err != nil {
		return nil, err
	}
	if strings.HasPrefix(strings.ToLower(name), "internal-") {
		return nil, invalid("Load balancer name '%s' cannot begin with 'internal-'", name)
	}
	if err := checkEnum(in.Scheme, "scheme", "internet-facing", "internal"); err != nil {
		return nil, err
	}
	if err := checkEnum(in.Type, "type", "application", "network", "gateway"); err != nil {
		return nil, err
	}
	if t := deref(in.Type); t != "" && t != "application" {
		return nil, invalid("Tide supports application load balancers only, not load balancers of type '%s'", t)
	}
	if err := checkEnum(in.IpAddressType, "ipAddressType", "ipv4", "dualstack", "dualstack-without-public-ipv4"); err != nil {
		return nil, err
	}
	if in.Subnets != nil && in.SubnetMappings != nil {
		return nil, invalid("Subnets and subnet mappings cannot be specified at the same time")
	}
	subnets := in.Subnets
	for i, m := range in.SubnetMappings {
		if m.SubnetId == nil {
			return nil, missing("subnetMappings." + itoa(i+1) + ".member.subnetId")
		}
		subnets = append(subnets, *m.SubnetId)
	}
	for i, s := range subnets {
		if slices.Contains(subnets[:i], s) {
			return nil, invalid("Subnet '%s' is specified more than once", s)
		}
	}
	tags, err := checkTags(in.Tags)
	if err != nil {
		return nil, err
	}
	r := &lbRecord{
		Name: name, ID: newID(), Scheme: or(deref(in.Scheme), "internet-facing"), IPAddressType: or(deref(in.IpAddressType), "ipv4"),
		Subnets: subnets, SecurityGroups: in.SecurityGroups, Created: a.now().UTC(), Tags: tags,
	}
	_, err = a.store.Create(ctx, lbKey(name), mustJSON(r))
	if errors.Is(err, store.ErrExists) {
		kv, ok := a.store.Get(lbKey(name))
		if !ok {
			return nil, conflictErr()
		}
		cur, err := decode[lbRecord](kv)
		if err != nil {
			return nil, err
		}
		if cur.Scheme != r.Scheme || cur.IPAddressType != r.IPAddressType || !slices.Equal(cur.Subnets, r.Subnets) || !slices.Equal(cur.SecurityGroups, r.SecurityGroups) {
			return nil, clientErr("DuplicateLoadBalancerName", "A load balancer with the same name '%s' exists, but with different settings", name)
		}
		return &LoadBalancersOutput{LoadBalancers: []LoadBalancer{a.describeLB(cur, "active")}}, nil
	}
	if err != nil {
		return nil, storeErr(err)
	}
	return &LoadBalancersOutput{LoadBalancers: []LoadBalancer{a.describeLB(r, "provisioning")}}, nil
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func itoa(i int) string { return strconv.Itoa(i) }

// dnsName is r's DNS name: "<name>-<number>.<region>.<suffix>", with
// "internal-" before internal load balancers' names, as AWS makes them.
func (a *API) dnsName(r *lbRecord) string {
	n, _ := strconv.ParseUint(r.ID[:min(8, len(r.ID))], 16, 32)
	host := r.Name + "-" + strconv.FormatUint(n, 10)
	if r.Scheme == "internal" {
		host = "internal-" + host
	}
	return host + "." + a.cfg.Region + "." + a.cfg.DNSSuffix
}

// describeLB is r as AWS describes it, in state.
func (a *API) describeLB(r *lbRecord, state string) LoadBalancer {
	zones := []AvailabilityZone{}
	for i, s := range r.Subnets {
		zones = append(zones, AvailabilityZone{ZoneName: a.cfg.Region + string(rune('a'+i%26)), SubnetId: str(s), LoadBalancerAddresses: []LoadBalancerAddress{}})
	}
	if len(zones) == 0 {
		zones = append(zones, AvailabilityZone{ZoneName: a.cfg.Region + "a", LoadBalancerAddresses: []LoadBalancerAddress{}})
	}
	sgs := r.SecurityGroups
	if sgs == nil {
		sgs = []string{}
	}
	return LoadBalancer{
		LoadBalancerArn: a.lbARN(r), LoadBalancerName: r.Name, DNSName: a.dnsName(r), CanonicalHostedZoneId: canonicalHostedZoneID,
		CreatedTime: r.Created, Scheme: r.Scheme, State: LoadBalancerState{Code: state}, Type: "application",
		AvailabilityZones: zones, SecurityGroups: sgs, IpAddressType: r.IPAddressType,
	}
}

// DescribeLoadBalancersInput is the DescribeLoadBalancers request.
type DescribeLoadBalancersInput struct {
	LoadBalancerArns []string
	Names            []string
	Marker           *string
	PageSize         *int32
}

// DescribeLoadBalancersOutput is the DescribeLoadBalancers response.
type DescribeLoadBalancersOutput struct {
	LoadBalancers []LoadBalancer
	NextMarker    *string
}

// describeLoadBalancers lists load balancers in name order, all of them or
// those named; any named one missing is LoadBalancerNotFound. A load
// balancer is active as soon as it exists: the data plane serves it
// within moments.
func (a *API) describeLoadBalancers(ctx context.Context, in *DescribeLoadBalancersInput) (*DescribeLoadBalancersOutput, error) {
	if err := checkRange(in.PageSize, "pageSize", 1, 400); err != nil {
		return nil, err
	}
	if in.LoadBalancerArns != nil && in.Names != nil {
		return nil, invalid("Load balancer names and load balancer ARNs cannot be specified at the same time")
	}
	var recs []*lbRecord
	switch {
	case in.LoadBalancerArns != nil:
		var missing []string
		for _, arn := range in.LoadBalancerArns {
			r, _, err := a.lbByARN(arn)
			if isCode(err, "LoadBalancerNotFound") {
				missing = append(missing, arn)
				continue
			}
			if err != nil {
				return nil, err
			}
			recs = append(recs, r)
		}
		if missing != nil {
			return nil, clientErr("LoadBalancerNotFound", "Load balancers '%s' not found", bracket(missing))
		}
	case in.Names != nil:
		var missing []string
		for _, name := range in.Names {
			kv, ok := a.store.Get(lbKey(name))
			if !ok {
				missing = append(missing, name)
				continue
			}
			r, err := decode[lbRecord](kv)
			if err != nil {
				return nil, err
			}
			recs = append(recs, r)
		}
		if missing != nil {
			return nil, clientErr("LoadBalancerNotFound", "Load balancers '%s' not found", bracket(missing))
		}
	default:
		var err error
		if recs, err = a.allLBs(); err != nil {
			return nil, err
		}
	}
	slices.SortFunc(recs, func(x, y *lbRecord) int { return strings.Compare(x.Name, y.Name) })
	recs = slices.CompactFunc(recs, func(x, y *lbRecord) bool { return x.Name == y.Name })
	pg, next, err := page(recs, func(r *lbRecord) string { return r.Name }, in.Marker, in.PageSize)
	if err != nil {
		return nil, err
	}
	out := &DescribeLoadBalancersOutput{LoadBalancers: []LoadBalancer{}, NextMarker: next}
	for _, r := range pg {
		out.LoadBalancers = append(out.LoadBalancers, a.describeLB(r, "active"))
	}
	return out, nil
}

// DeleteLoadBalancerInput is the DeleteLoadBalancer request.
type DeleteLoadBalancerInput struct {
	LoadBalancerArn *string
}

// deleteLoadBalancer deletes a load balancer with its listeners and rules
// and releases its target groups, unless deletion protection is on.
// Deleting one that does not exist succeeds, as in AWS.
func (a *API) deleteLoadBalancer(ctx context.Context, in *DeleteLoadBalancerInput) (*empty, error) {
	if in.LoadBalancerArn == nil {
		return nil, missing("loadBalancerArn")
	}
	arn := *in.LoadBalancerArn
	for range maxAttempts {
		r, kv, err := a.lbByARN(arn)
		if isCode(err, "LoadBalancerNotFound") {
			return &empty{}, nil
		}
		if err != nil {
			return nil, err
		}
		if r.Attributes["deletion_protection.enabled"] == "true" {
			return nil, clientErr("OperationNotPermitted", "Load balancer '%s' cannot be deleted because deletion protection is enabled", arn)
		}
		writes := []store.Write{store.Del(kv.Key, kv.ModRev)}
		for ref := range r.tgRefs() {
			if g, gkv, err := a.tgByARN(ref); err == nil && g.LoadBalancerArn == arn {
				g.LoadBalancerArn = ""
				writes = append(writes, store.Put(gkv.Key, mustJSON(g), gkv.ModRev))
			}
		}
		_, err = a.store.Commit(ctx, writes...)
		if errors.Is(err, store.ErrConflict) {
			continue
		}
		if err != nil {
			return nil, storeErr(err)
		}
		// The port claims are stale now (their listeners are gone) and
		// free for others; deleting them is tidiness, left to Sweep if
		// this fails.
		var claims []store.Write
		for port, lid := range r.ports() {
			if ckv, ok := a.store.Get(portKey(port)); ok && string(ckv.Value) == a.listenerARN(r, &listenerRecord{ID: lid}) {
				claims = append(claims, store.Del(ckv.Key, ckv.ModRev))
			}
		}
		if len(claims) > 0 {
			if _, err := a.store.Commit(ctx, claims...); err != nil && !errors.Is(err, store.ErrConflict) {
				a.log.Warn("release listener ports of deleted load balancer", "arn", arn, "err", err)
			}
		}
		return &empty{}, nil
	}
	return nil, conflictErr()
}
