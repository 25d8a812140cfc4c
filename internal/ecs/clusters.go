package ecs

import (
	"context"
	"encoding/json"
	"errors"
	"regexp"
	"slices"

	"tide/internal/awserr"
	"tide/internal/edge"
	"tide/internal/store"
)

// Cluster is ECS's Cluster shape; the counts and statistics are derived from
// the store when it is described, never stored.
type Cluster struct {
	ClusterArn                        string                         `json:"clusterArn"`
	ClusterName                       string                         `json:"clusterName"`
	Status                            string                         `json:"status"`
	RegisteredContainerInstancesCount int32                          `json:"registeredContainerInstancesCount"`
	RunningTasksCount                 int32                          `json:"runningTasksCount"`
	PendingTasksCount                 int32                          `json:"pendingTasksCount"`
	ActiveServicesCount               int32                          `json:"activeServicesCount"`
	Statistics                        []KeyValuePair                 `json:"statistics"`
	Tags                              []Tag                          `json:"tags"`
	Settings                          []ClusterSetting               `json:"settings,omitempty"`
	CapacityProviders                 []string                       `json:"capacityProviders"`
	DefaultCapacityProviderStrategy   []CapacityProviderStrategyItem `json:"defaultCapacityProviderStrategy"`
	Configuration                     json.RawMessage                `json:"configuration,omitempty"`
	ServiceConnectDefaults            *ServiceConnectDefaults        `json:"serviceConnectDefaults,omitempty"`
}

// ClusterSetting is a cluster setting such as containerInsights.
type ClusterSetting struct {
	Name  string `json:"name,omitempty"`
	Value string `json:"value,omitempty"`
}

// CapacityProviderStrategyItem is one entry of a capacity provider strategy.
type CapacityProviderStrategyItem struct {
	CapacityProvider string `json:"capacityProvider"`
	Weight           *int32 `json:"weight,omitempty"`
	Base             *int32 `json:"base,omitempty"`
}

// ServiceConnectDefaults names a cluster's default Service Connect namespace.
type ServiceConnectDefaults struct {
	Namespace string `json:"namespace,omitempty"`
}

var nameRE = regexp.MustCompile(`^[a-zA-Z0-9_-]{1,255}$`)

func clusterKey(name string) string { return "clusters/" + name }

// clusterName returns the cluster name in ref (a name or an ARN; empty means
// "default"), without checking that it exists.
func (a *API) clusterName(ref *string) (string, error) {
	r := deref(ref)
	if r == "" {
		return "default", nil
	}
	if kind, rest, ok := a.parseARN(r); ok {
		if kind == "cluster" && nameRE.MatchString(rest) {
			return rest, nil
		}
		return "", awserr.InvalidParameter("Invalid identifier: Unexpected number of separators")
	}
	if !nameRE.MatchString(r) {
		return "", awserr.InvalidParameter("Invalid identifier: Identifier is for %s. Your accountId is %s", r, a.account)
	}
	return r, nil
}

// activeCluster resolves ref to an ACTIVE cluster or ClusterNotFoundException.
// The cluster is shared: callers must not modify it.
func (a *API) activeCluster(ref *string) (*Cluster, error) {
	name, err := a.clusterName(ref)
	if err != nil {
		return nil, err
	}
	c, ok, err := cachedRecord[Cluster](a, clusterKey(name))
	if err != nil {
		return nil, err
	}
	if !ok || c.Status != "ACTIVE" {
		return nil, awserr.Client("ClusterNotFoundException", "Cluster not found.")
	}
	return c, nil
}

func (a *API) clusterOps(ops map[string]edge.Handler) {
	ops["CreateCluster"] = edge.Op(a.CreateCluster)
	ops["DescribeClusters"] = edge.Op(a.DescribeClusters)
	ops["ListClusters"] = edge.Op(a.ListClusters)
	ops["DeleteCluster"] = edge.Op(a.DeleteCluster)
	ops["UpdateCluster"] = edge.Op(a.UpdateCluster)
	ops["UpdateClusterSettings"] = edge.Op(a.UpdateClusterSettings)
	ops["PutClusterCapacityProviders"] = edge.Op(a.PutClusterCapacityProviders)
}

// CreateClusterInput is the CreateCluster request.
type CreateClusterInput struct {
	ClusterName                     *string                        `json:"clusterName"`
	Tags                            []Tag                          `json:"tags"`
	Settings                        []ClusterSetting               `json:"settings"`
	Configuration                   json.RawMessage                `json:"configuration"`
	CapacityProviders               []string                       `json:"capacityProviders"`
	DefaultCapacityProviderStrategy []CapacityProviderStrategyItem `json:"defaultCapacityProviderStrategy"`
	ServiceConnectDefaults          *ServiceConnectDefaults        `json:"serviceConnectDefaults"`
}

// ClusterOutput is the response of the single-cluster operations.
type ClusterOutput struct {
	Cluster *Cluster `json:"cluster"`
}

// CreateCluster creates a cluster, or returns the existing ACTIVE one of that
// name unchanged, as AWS does; an INACTIVE one is brought back.
func (a *API) CreateCluster(ctx context.Context, in *CreateClusterInput) (*ClusterOutput, error) {
	name := deref(in.ClusterName)
	if name == "" {
		name = "default"
	}
	if !nameRE.MatchString(name) {
		return nil, awserr.InvalidParameter("Cluster name can only contain letters (uppercase and lowercase), numbers, underscores, and hyphens, and must be between 1 and 255 characters long.")
	}
	if err := validateTags(in.Tags); err != nil {
		return nil, err
	}
	settings, err := validateClusterSettings(in.Settings)
	if err != nil {
		return nil, err
	}
	if len(settings) == 0 {
		settings = []ClusterSetting{{Name: "containerInsights", Value: "disabled"}}
	}
	if err := validateCapacityProviders(in.CapacityProviders, in.DefaultCapacityProviderStrategy); err != nil {
		return nil, err
	}
	c := &Cluster{
		ClusterArn:                      a.arn("cluster/" + name),
		ClusterName:                     name,
		Status:                          "ACTIVE",
		Statistics:                      []KeyValuePair{},
		Tags:                            nonNil(in.Tags),
		Settings:                        settings,
		CapacityProviders:               nonNil(in.CapacityProviders),
		DefaultCapacityProviderStrategy: nonNil(in.DefaultCapacityProviderStrategy),
		Configuration:                   in.Configuration,
		ServiceConnectDefaults:          in.ServiceConnectDefaults,
	}
	for {
		var old Cluster
		kv, ok, err := a.getJSON(clusterKey(name), &old)
		if err != nil {
			return nil, err
		}
		if ok && old.Status == "ACTIVE" {
			return &ClusterOutput{Cluster: a.describeCluster(&old, nil)}, nil
		}
		guard := store.MustBeNew
		if ok {
			guard = kv.ModRev
		}
		_, err = a.store.Commit(ctx, store.Put(clusterKey(name), mustJSON(c), guard))
		if errors.Is(err, store.ErrConflict) {
			continue
		}
		if err != nil {
			return nil, storeErr(err)
		}
		return &ClusterOutput{Cluster: a.describeCluster(c, nil)}, nil
	}
}

// DescribeClustersInput is the DescribeClusters request.
type DescribeClustersInput struct {
	Clusters []string `json:"clusters"`
	Include  []string `json:"include"`
}

// DescribeClustersOutput is the DescribeClusters response.
type DescribeClustersOutput struct {
	Clusters []*Cluster `json:"clusters"`
	Failures []Failure  `json:"failures"`
}

// DescribeClusters describes up to 100 clusters; the default cluster when none
// is named.
func (a *API) DescribeClusters(ctx context.Context, in *DescribeClustersInput) (*DescribeClustersOutput, error) {
	refs := in.Clusters
	if len(refs) == 0 {
		refs = []string{"default"}
	}
	if len(refs) > 100 {
		return nil, awserr.InvalidParameter("clusters can have at most 100 items.")
	}
	for _, inc := range in.Include {
		if !slices.Contains([]string{"ATTACHMENTS", "CONFIGURATIONS", "SETTINGS", "STATISTICS", "TAGS"}, inc) {
			return nil, awserr.InvalidParameter("1 validation error detected: Value '[%s]' at 'include' failed to satisfy constraint: Member must satisfy constraint: [Member must satisfy enum value set: [SETTINGS, STATISTICS, CONFIGURATIONS, ATTACHMENTS, TAGS]]", inc)
		}
	}
	out := &DescribeClustersOutput{Clusters: []*Cluster{}, Failures: []Failure{}}
	for _, ref := range refs {
		name, err := a.clusterName(&ref)
		if err != nil {
			return nil, err
		}
		var c Cluster
		_, ok, err := a.getJSON(clusterKey(name), &c)
		if err != nil {
			return nil, err
		}
		if !ok {
			out.Failures = append(out.Failures, Failure{Arn: a.arn("cluster/" + name), Reason: "MISSING"})
			continue
		}
		out.Clusters = append(out.Clusters, a.describeCluster(&c, nonNil(in.Include)))
	}
	return out, nil
}

// describeCluster fills in the derived counts and drops what include does not
// ask for. A nil include is the shape Create/Delete/Update return.
func (a *API) describeCluster(c *Cluster, include []string) *Cluster {
	st := a.clusterStats(c.ClusterName)
	c.RegisteredContainerInstancesCount = st.instances
	c.RunningTasksCount = st.running
	c.PendingTasksCount = st.pending
	c.ActiveServicesCount = st.services
	c.Statistics = []KeyValuePair{}
	if include != nil {
		if slices.Contains(include, "STATISTICS") {
			c.Statistics = st.pairs()
		}
		if !slices.Contains(include, "TAGS") {
			c.Tags = []Tag{}
		}
		if !slices.Contains(include, "SETTINGS") {
			c.Settings = nil
		}
		if !slices.Contains(include, "CONFIGURATIONS") {
			c.Configuration = nil
		}
	}
	return c
}

// ListClustersInput is the ListClusters request.
type ListClustersInput struct {
	NextToken  *string `json:"nextToken"`
	MaxResults *int32  `json:"maxResults"`
}

// ListClustersOutput is the ListClusters response.
type ListClustersOutput struct {
	ClusterArns []string `json:"clusterArns"`
	NextToken   *string  `json:"nextToken,omitempty"`
}

// ListClusters lists the ARNs of ACTIVE clusters.
func (a *API) ListClusters(ctx context.Context, in *ListClustersInput) (*ListClustersOutput, error) {
	arns, next, err := a.page("clusters/", pageArgs{in.NextToken, in.MaxResults}, 100, func(kv store.KV) (string, bool) {
		var c Cluster
		if json.Unmarshal(kv.Value, &c) != nil || c.Status != "ACTIVE" {
			return "", false
		}
		return c.ClusterArn, true
	})
	if err != nil {
		return nil, err
	}
	return &ListClustersOutput{ClusterArns: arns, NextToken: next}, nil
}

// DeleteClusterInput is the DeleteCluster request.
type DeleteClusterInput struct {
	Cluster *string `json:"cluster"`
}

// DeleteCluster marks an empty cluster INACTIVE; it stays describable.
func (a *API) DeleteCluster(ctx context.Context, in *DeleteClusterInput) (*ClusterOutput, error) {
	if deref(in.Cluster) == "" {
		return nil, awserr.InvalidParameter("Cluster can not be blank.")
	}
	c, err := a.activeCluster(in.Cluster)
	if err != nil {
		return nil, err
	}
	st := a.clusterStats(c.ClusterName)
	switch {
	case st.instances > 0:
		return nil, awserr.Client("ClusterContainsContainerInstancesException", "The Cluster cannot be deleted while Container Instances are active or draining.")
	case st.services > 0 || st.draining > 0:
		return nil, awserr.Client("ClusterContainsServicesException", "The Cluster cannot be deleted while Services are active.")
	case st.running > 0 || st.pending > 0:
		return nil, awserr.Client("ClusterContainsTasksException", "The Cluster cannot be deleted while Tasks are active.")
	}
	out, err := updateJSON(ctx, a.store, clusterKey(c.ClusterName), func(c *Cluster) error {
		if c.Status != "ACTIVE" {
			return awserr.Client("ClusterNotFoundException", "Cluster not found.")
		}
		c.Status = "INACTIVE"
		return nil
	})
	if err != nil {
		return nil, storeErr(err)
	}
	return &ClusterOutput{Cluster: a.describeCluster(out, nil)}, nil
}

// UpdateClusterInput is the UpdateCluster request.
type UpdateClusterInput struct {
	Cluster                *string                 `json:"cluster"`
	Settings               []ClusterSetting        `json:"settings"`
	Configuration          json.RawMessage         `json:"configuration"`
	ServiceConnectDefaults *ServiceConnectDefaults `json:"serviceConnectDefaults"`
}

// UpdateCluster changes a cluster's settings and configuration.
func (a *API) UpdateCluster(ctx context.Context, in *UpdateClusterInput) (*ClusterOutput, error) {
	settings, err := validateClusterSettings(in.Settings)
	if err != nil {
		return nil, err
	}
	return a.updateCluster(ctx, in.Cluster, func(c *Cluster) error {
		mergeSettings(c, settings)
		if in.Configuration != nil {
			c.Configuration = in.Configuration
		}
		if in.ServiceConnectDefaults != nil {
			c.ServiceConnectDefaults = in.ServiceConnectDefaults
		}
		return nil
	})
}

// UpdateClusterSettingsInput is the UpdateClusterSettings request.
type UpdateClusterSettingsInput struct {
	Cluster  *string          `json:"cluster"`
	Settings []ClusterSetting `json:"settings"`
}

// UpdateClusterSettings changes a cluster's settings.
func (a *API) UpdateClusterSettings(ctx context.Context, in *UpdateClusterSettingsInput) (*ClusterOutput, error) {
	if in.Settings == nil {
		return nil, awserr.InvalidParameter("Settings can not be empty.")
	}
	settings, err := validateClusterSettings(in.Settings)
	if err != nil {
		return nil, err
	}
	return a.updateCluster(ctx, in.Cluster, func(c *Cluster) error { mergeSettings(c, settings); return nil })
}

// PutClusterCapacityProvidersInput is the PutClusterCapacityProviders request.
type PutClusterCapacityProvidersInput struct {
	Cluster                         *string                        `json:"cluster"`
	CapacityProviders               []string                       `json:"capacityProviders"`
	DefaultCapacityProviderStrategy []CapacityProviderStrategyItem `json:"defaultCapacityProviderStrategy"`
}

// PutClusterCapacityProviders replaces a cluster's capacity providers.
func (a *API) PutClusterCapacityProviders(ctx context.Context, in *PutClusterCapacityProvidersInput) (*ClusterOutput, error) {
	if in.CapacityProviders == nil || in.DefaultCapacityProviderStrategy == nil {
		return nil, awserr.InvalidParameter("capacityProviders and defaultCapacityProviderStrategy are required.")
	}
	if err := validateCapacityProviders(in.CapacityProviders, in.DefaultCapacityProviderStrategy); err != nil {
		return nil, err
	}
	return a.updateCluster(ctx, in.Cluster, func(c *Cluster) error {
		c.CapacityProviders = in.CapacityProviders
		c.DefaultCapacityProviderStrategy = in.DefaultCapacityProviderStrategy
		return nil
	})
}

func (a *API) updateCluster(ctx context.Context, ref *string, fn func(*Cluster) error) (*ClusterOutput, error) {
	c, err := a.activeCluster(ref)
	if err != nil {
		return nil, err
	}
	out, err := updateJSON(ctx, a.store, clusterKey(c.ClusterName), func(c *Cluster) error {
		if c.Status != "ACTIVE" {
			return awserr.Client("ClusterNotFoundException", "Cluster not found.")
		}
		return fn(c)
	})
	if err != nil {
		return nil, storeErr(err)
	}
	return &ClusterOutput{Cluster: a.describeCluster(out, []string{"SETTINGS", "TAGS", "CONFIGURATIONS"})}, nil
}

func mergeSettings(c *Cluster, settings []ClusterSetting) {
	for _, s := range settings {
		i := slices.IndexFunc(c.Settings, func(x ClusterSetting) bool { return x.Name == s.Name })
		if i < 0 {
			c.Settings = append(c.Settings, s)
		} else {
			c.Settings[i] = s
		}
	}
}

func validateClusterSettings(settings []ClusterSetting) ([]ClusterSetting, error) {
	for _, s := range settings {
		if s.Name != "containerInsights" {
			return nil, awserr.InvalidParameter("1 validation error detected: Value '%s' at 'settings.1.member.name' failed to satisfy constraint: Member must satisfy enum value set: [containerInsights]", s.Name)
		}
		if !slices.Contains([]string{"enabled", "disabled", "enhanced"}, s.Value) {
			return nil, awserr.InvalidParameter("The value '%s' is not valid for the containerInsights setting. Valid values are enabled, disabled and enhanced.", s.Value)
		}
	}
	return settings, nil
}

func validateCapacityProviders(cps []string, strategy []CapacityProviderStrategyItem) error {
	for _, cp := range cps {
		if cp != "FARGATE" && cp != "FARGATE_SPOT" {
			return awserr.InvalidParameter("The specified capacity provider '%s' does not exist. Tide provides FARGATE and FARGATE_SPOT.", cp)
		}
	}
	for _, s := range strategy {
		if !slices.Contains(cps, s.CapacityProvider) {
			return awserr.InvalidParameter("The specified capacity provider strategy cannot contain a capacity provider that is not associated with the cluster. Associate the capacity provider with the cluster or specify a valid capacity provider and try again.")
		}
		if s.Weight != nil && (*s.Weight < 0 || *s.Weight > 1000) {
			return awserr.InvalidParameter("The capacity provider strategy weight must be between 0 and 1000.")
		}
		if s.Base != nil && (*s.Base < 0 || *s.Base > 100000) {
			return awserr.InvalidParameter("The capacity provider strategy base must be between 0 and 100000.")
		}
	}
	return nil
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
