package ecs_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/google/go-cmp/cmp"
)

const arnPrefix = "arn:aws:ecs:us-east-1:000000000000:"

func webTaskDef(family string) *ecs.RegisterTaskDefinitionInput {
	return &ecs.RegisterTaskDefinitionInput{
		Family: aws.String(family),
		ContainerDefinitions: []types.ContainerDefinition{{
			Name: aws.String("web"), Image: aws.String("web:latest"), Memory: aws.Int32(128),
			PortMappings: []types.PortMapping{{ContainerPort: aws.Int32(8080)}},
		}},
	}
}

func TestClusterLifecycle(t *testing.T) {
	c := newClient(t)
	ctx := context.Background()
	out := must[*ecs.CreateClusterOutput](t)(c.CreateCluster(ctx, &ecs.CreateClusterInput{
		ClusterName: aws.String("prod"), Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String("web")}},
	}))
	if got, want := aws.ToString(out.Cluster.ClusterArn), arnPrefix+"cluster/prod"; got != want {
		t.Fatalf("arn = %s, want %s", got, want)
	}
	// Creating it again returns the same cluster, as AWS does.
	again := must[*ecs.CreateClusterOutput](t)(c.CreateCluster(ctx, &ecs.CreateClusterInput{ClusterName: aws.String("prod")}))
	if aws.ToString(again.Cluster.ClusterArn) != aws.ToString(out.Cluster.ClusterArn) {
		t.Fatal("second create returned another cluster")
	}
	d := must[*ecs.DescribeClustersOutput](t)(c.DescribeClusters(ctx, &ecs.DescribeClustersInput{
		Clusters: []string{"prod", "nope"}, Include: []types.ClusterField{types.ClusterFieldTags, types.ClusterFieldStatistics},
	}))
	if len(d.Clusters) != 1 || len(d.Failures) != 1 || aws.ToString(d.Failures[0].Reason) != "MISSING" ||
		aws.ToString(d.Failures[0].Arn) != arnPrefix+"cluster/nope" {
		t.Fatalf("describe = %+v failures %+v", d.Clusters, d.Failures)
	}
	if len(d.Clusters[0].Tags) != 1 || len(d.Clusters[0].Statistics) == 0 {
		t.Fatalf("include TAGS/STATISTICS ignored: %+v", d.Clusters[0])
	}
	// The default cluster does not exist until created.
	def := must[*ecs.DescribeClustersOutput](t)(c.DescribeClusters(ctx, &ecs.DescribeClustersInput{}))
	if len(def.Failures) != 1 || aws.ToString(def.Failures[0].Arn) != arnPrefix+"cluster/default" {
		t.Fatalf("describe default = %+v", def.Failures)
	}
	// A cluster with a service cannot be deleted.
	must[*ecs.RegisterTaskDefinitionOutput](t)(c.RegisterTaskDefinition(ctx, webTaskDef("web")))
	must[*ecs.CreateServiceOutput](t)(c.CreateService(ctx, &ecs.CreateServiceInput{
		Cluster: aws.String("prod"), ServiceName: aws.String("web"), TaskDefinition: aws.String("web"), DesiredCount: aws.Int32(0),
	}))
	_, err := c.DeleteCluster(ctx, &ecs.DeleteClusterInput{Cluster: aws.String("prod")})
	if errCode(err) != "ClusterContainsServicesException" {
		t.Fatalf("delete with service: %v", err)
	}
	must[*ecs.DeleteServiceOutput](t)(c.DeleteService(ctx, &ecs.DeleteServiceInput{Cluster: aws.String("prod"), Service: aws.String("web")}))
	w := ecs.NewServicesInactiveWaiter(c, func(o *ecs.ServicesInactiveWaiterOptions) {
		o.MinDelay = 100 * time.Millisecond
		o.MaxDelay = time.Second
	})
	if err := w.Wait(ctx, &ecs.DescribeServicesInput{Cluster: aws.String("prod"), Services: []string{"web"}}, 30*time.Second); err != nil {
		t.Fatal(err)
	}
	del := must[*ecs.DeleteClusterOutput](t)(c.DeleteCluster(ctx, &ecs.DeleteClusterInput{Cluster: aws.String("prod")}))
	if aws.ToString(del.Cluster.Status) != "INACTIVE" {
		t.Fatalf("deleted cluster status %s", aws.ToString(del.Cluster.Status))
	}
	list := must[*ecs.ListClustersOutput](t)(c.ListClusters(ctx, &ecs.ListClustersInput{}))
	if len(list.ClusterArns) != 0 {
		t.Fatalf("list after delete = %v", list.ClusterArns)
	}
	_, err = c.ListServices(ctx, &ecs.ListServicesInput{Cluster: aws.String("prod")})
	if errCode(err) != "ClusterNotFoundException" {
		t.Fatalf("list services of deleted cluster: %v", err)
	}
}

func TestTaskDefinitionRevisions(t *testing.T) {
	c := newClient(t)
	ctx := context.Background()
	for i := 1; i <= 3; i++ {
		out := must[*ecs.RegisterTaskDefinitionOutput](t)(c.RegisterTaskDefinition(ctx, webTaskDef("api")))
		if out.TaskDefinition.Revision != int32(i) {
			t.Fatalf("revision %d, want %d", out.TaskDefinition.Revision, i)
		}
	}
	latest := must[*ecs.DescribeTaskDefinitionOutput](t)(c.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String("api")}))
	if latest.TaskDefinition.Revision != 3 {
		t.Fatalf("latest = %d", latest.TaskDefinition.Revision)
	}
	must[*ecs.DeregisterTaskDefinitionOutput](t)(c.DeregisterTaskDefinition(ctx, &ecs.DeregisterTaskDefinitionInput{TaskDefinition: aws.String("api:3")}))
	latest = must[*ecs.DescribeTaskDefinitionOutput](t)(c.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String("api")}))
	if latest.TaskDefinition.Revision != 2 {
		t.Fatalf("latest ACTIVE after deregistering 3 = %d", latest.TaskDefinition.Revision)
	}
	byARN := must[*ecs.DescribeTaskDefinitionOutput](t)(c.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String(arnPrefix + "task-definition/api:3")}))
	if byARN.TaskDefinition.Status != types.TaskDefinitionStatusInactive || byARN.TaskDefinition.DeregisteredAt == nil {
		t.Fatalf("api:3 = %s", byARN.TaskDefinition.Status)
	}
	desc := must[*ecs.ListTaskDefinitionsOutput](t)(c.ListTaskDefinitions(ctx, &ecs.ListTaskDefinitionsInput{Sort: types.SortOrderDesc}))
	want := []string{arnPrefix + "task-definition/api:2", arnPrefix + "task-definition/api:1"}
	if diff := cmp.Diff(want, desc.TaskDefinitionArns); diff != "" {
		t.Fatalf("list DESC (-want +got):\n%s", diff)
	}
	del := must[*ecs.DeleteTaskDefinitionsOutput](t)(c.DeleteTaskDefinitions(ctx, &ecs.DeleteTaskDefinitionsInput{TaskDefinitions: []string{"api:3", "api:2"}}))
	if len(del.TaskDefinitions) != 1 || len(del.Failures) != 1 {
		t.Fatalf("delete: %d deleted, failures %+v", len(del.TaskDefinitions), del.Failures)
	}
	fams := must[*ecs.ListTaskDefinitionFamiliesOutput](t)(c.ListTaskDefinitionFamilies(ctx, &ecs.ListTaskDefinitionFamiliesInput{}))
	if diff := cmp.Diff([]string{"api"}, fams.Families); diff != "" {
		t.Fatal(diff)
	}
	// Paginate revisions two at a time.
	for range 3 {
		must[*ecs.RegisterTaskDefinitionOutput](t)(c.RegisterTaskDefinition(ctx, webTaskDef("api")))
	}
	var all []string
	p := ecs.NewListTaskDefinitionsPaginator(c, &ecs.ListTaskDefinitionsInput{FamilyPrefix: aws.String("api"), MaxResults: aws.Int32(2)})
	for p.HasMorePages() {
		all = append(all, must[*ecs.ListTaskDefinitionsOutput](t)(p.NextPage(ctx)).TaskDefinitionArns...)
	}
	if len(all) != 5 {
		t.Fatalf("paginated %d ACTIVE revisions, want 5: %v", len(all), all)
	}
}

func TestUpdateServiceStartsDeployment(t *testing.T) {
	c := newClient(t)
	ctx := context.Background()
	must[*ecs.CreateClusterOutput](t)(c.CreateCluster(ctx, &ecs.CreateClusterInput{}))
	must[*ecs.RegisterTaskDefinitionOutput](t)(c.RegisterTaskDefinition(ctx, webTaskDef("web")))
	must[*ecs.RegisterTaskDefinitionOutput](t)(c.RegisterTaskDefinition(ctx, webTaskDef("web")))
	svc := must[*ecs.CreateServiceOutput](t)(c.CreateService(ctx, &ecs.CreateServiceInput{
		ServiceName: aws.String("web"), TaskDefinition: aws.String("web:1"), DesiredCount: aws.Int32(2),
	})).Service
	if got := *svc.DeploymentConfiguration; aws.ToInt32(got.MaximumPercent) != 200 || aws.ToInt32(got.MinimumHealthyPercent) != 100 {
		t.Fatalf("deployment configuration defaults %d/%d", aws.ToInt32(got.MaximumPercent), aws.ToInt32(got.MinimumHealthyPercent))
	}
	up := must[*ecs.UpdateServiceOutput](t)(c.UpdateService(ctx, &ecs.UpdateServiceInput{Service: aws.String("web"), TaskDefinition: aws.String("web:2")})).Service
	var got []string
	for _, d := range up.Deployments {
		got = append(got, aws.ToString(d.Status)+" "+aws.ToString(d.TaskDefinition))
	}
	want := []string{"PRIMARY " + arnPrefix + "task-definition/web:2", "ACTIVE " + arnPrefix + "task-definition/web:1"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("deployments (-want +got):\n%s", diff)
	}
	_, err := c.DeleteService(ctx, &ecs.DeleteServiceInput{Service: aws.String("web")})
	if errCode(err) != "InvalidParameterException" {
		t.Fatalf("delete scaled service without force: %v", err)
	}
}

// TestConcurrentUpdatesLoseNothing runs UpdateService calls (each a
// read-modify-write of the whole service) while other clients tag the same
// service: every tag must survive every update.
func TestConcurrentUpdatesLoseNothing(t *testing.T) {
	c := newClient(t)
	ctx := context.Background()
	must[*ecs.CreateClusterOutput](t)(c.CreateCluster(ctx, &ecs.CreateClusterInput{}))
	must[*ecs.RegisterTaskDefinitionOutput](t)(c.RegisterTaskDefinition(ctx, webTaskDef("web")))
	svc := must[*ecs.CreateServiceOutput](t)(c.CreateService(ctx, &ecs.CreateServiceInput{ServiceName: aws.String("web"), TaskDefinition: aws.String("web")})).Service
	const n = 10
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			if _, err := c.UpdateService(ctx, &ecs.UpdateServiceInput{Service: aws.String("web"), ForceNewDeployment: true, HealthCheckGracePeriodSeconds: aws.Int32(int32(i))}); err != nil {
				t.Error(err)
			}
		})
		wg.Go(func() {
			tag := types.Tag{Key: aws.String(fmt.Sprintf("k%d", i)), Value: aws.String("v")}
			if _, err := c.TagResource(ctx, &ecs.TagResourceInput{ResourceArn: svc.ServiceArn, Tags: []types.Tag{tag}}); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	tags := must[*ecs.ListTagsForResourceOutput](t)(c.ListTagsForResource(ctx, &ecs.ListTagsForResourceInput{ResourceArn: svc.ServiceArn}))
	if len(tags.Tags) != n {
		t.Fatalf("%d tags after concurrent updates, want %d: an update lost a write", len(tags.Tags), n)
	}
}

func TestTasksStopAndWaiter(t *testing.T) {
	c := newClient(t)
	ctx := context.Background()
	must[*ecs.CreateClusterOutput](t)(c.CreateCluster(ctx, &ecs.CreateClusterInput{}))
	td := &ecs.RegisterTaskDefinitionInput{
		Family: aws.String("job"), NetworkMode: types.NetworkModeAwsvpc, Cpu: aws.String("0.25 vCPU"), Memory: aws.String("0.5GB"),
		RequiresCompatibilities: []types.Compatibility{types.CompatibilityFargate},
		ContainerDefinitions:    []types.ContainerDefinition{{Name: aws.String("job"), Image: aws.String("job:1")}},
	}
	reg := must[*ecs.RegisterTaskDefinitionOutput](t)(c.RegisterTaskDefinition(ctx, td))
	if aws.ToString(reg.TaskDefinition.Cpu) != "256" || aws.ToString(reg.TaskDefinition.Memory) != "512" {
		t.Fatalf("cpu/memory = %s/%s, want 256/512", aws.ToString(reg.TaskDefinition.Cpu), aws.ToString(reg.TaskDefinition.Memory))
	}
	_, err := c.RunTask(ctx, &ecs.RunTaskInput{TaskDefinition: aws.String("job")})
	if errCode(err) != "InvalidParameterException" {
		t.Fatalf("awsvpc without network configuration: %v", err)
	}
	run := must[*ecs.RunTaskOutput](t)(c.RunTask(ctx, &ecs.RunTaskInput{
		TaskDefinition: aws.String("job"), Count: aws.Int32(3), StartedBy: aws.String("nightly"),
		NetworkConfiguration: &types.NetworkConfiguration{AwsvpcConfiguration: &types.AwsVpcConfiguration{Subnets: []string{"subnet-1"}}},
	}))
	if len(run.Tasks) != 3 || aws.ToString(run.Tasks[0].LastStatus) != "PROVISIONING" || run.Tasks[0].LaunchType != types.LaunchTypeFargate {
		t.Fatalf("run = %+v", run.Tasks[0])
	}
	list := must[*ecs.ListTasksOutput](t)(c.ListTasks(ctx, &ecs.ListTasksInput{StartedBy: aws.String("nightly")}))
	if len(list.TaskArns) != 3 {
		t.Fatalf("list by startedBy = %d", len(list.TaskArns))
	}
	var arns []string
	for _, tk := range run.Tasks {
		arns = append(arns, aws.ToString(tk.TaskArn))
		must[*ecs.StopTaskOutput](t)(c.StopTask(ctx, &ecs.StopTaskInput{Task: tk.TaskArn, Reason: aws.String("done")}))
	}
	w := ecs.NewTasksStoppedWaiter(c, func(o *ecs.TasksStoppedWaiterOptions) { o.MinDelay = 100 * time.Millisecond; o.MaxDelay = time.Second })
	if err := w.Wait(ctx, &ecs.DescribeTasksInput{Tasks: arns}, 30*time.Second); err != nil {
		t.Fatal(err)
	}
	stopped := must[*ecs.ListTasksOutput](t)(c.ListTasks(ctx, &ecs.ListTasksInput{DesiredStatus: types.DesiredStatusStopped}))
	slices.Sort(arns)
	slices.Sort(stopped.TaskArns)
	if diff := cmp.Diff(arns, stopped.TaskArns); diff != "" {
		t.Fatal(diff)
	}
	d := must[*ecs.DescribeTasksOutput](t)(c.DescribeTasks(ctx, &ecs.DescribeTasksInput{Tasks: append(arns[:1], "0123")}))
	if aws.ToString(d.Tasks[0].StoppedReason) != "done" || d.Tasks[0].StopCode != types.TaskStopCodeUserInitiated || len(d.Failures) != 1 {
		t.Fatalf("describe stopped = %+v %+v", d.Tasks[0], d.Failures)
	}
}

func TestContainerInstancesAndAttributes(t *testing.T) {
	c := newClient(t)
	ctx := context.Background()
	must[*ecs.CreateClusterOutput](t)(c.CreateCluster(ctx, &ecs.CreateClusterInput{}))
	reg := must[*ecs.RegisterContainerInstanceOutput](t)(c.RegisterContainerInstance(ctx, &ecs.RegisterContainerInstanceInput{
		TotalResources: []types.Resource{{Name: aws.String("CPU"), Type: aws.String("INTEGER"), IntegerValue: 2048}, {Name: aws.String("MEMORY"), Type: aws.String("INTEGER"), IntegerValue: 4096}},
		Attributes:     []types.Attribute{{Name: aws.String("stack"), Value: aws.String("blue")}},
	})).ContainerInstance
	arn := aws.ToString(reg.ContainerInstanceArn)
	must[*ecs.PutAttributesOutput](t)(c.PutAttributes(ctx, &ecs.PutAttributesInput{Attributes: []types.Attribute{{Name: aws.String("zone"), Value: aws.String("a"), TargetId: aws.String(arn)}}}))
	l := must[*ecs.ListContainerInstancesOutput](t)(c.ListContainerInstances(ctx, &ecs.ListContainerInstancesInput{Filter: aws.String("attribute:zone == a and attribute:stack == blue")}))
	if diff := cmp.Diff([]string{arn}, l.ContainerInstanceArns); diff != "" {
		t.Fatal(diff)
	}
	l = must[*ecs.ListContainerInstancesOutput](t)(c.ListContainerInstances(ctx, &ecs.ListContainerInstancesInput{Filter: aws.String("attribute:zone == b")}))
	if len(l.ContainerInstanceArns) != 0 {
		t.Fatal("filter matched the wrong zone")
	}
	attrs := must[*ecs.ListAttributesOutput](t)(c.ListAttributes(ctx, &ecs.ListAttributesInput{TargetType: types.TargetTypeContainerInstance, AttributeName: aws.String("zone")}))
	if len(attrs.Attributes) != 1 || aws.ToString(attrs.Attributes[0].TargetId) != arn {
		t.Fatalf("list attributes = %+v", attrs.Attributes)
	}
	// StartTask places a task on the instance, which then reserves its memory.
	must[*ecs.RegisterTaskDefinitionOutput](t)(c.RegisterTaskDefinition(ctx, webTaskDef("web")))
	must[*ecs.StartTaskOutput](t)(c.StartTask(ctx, &ecs.StartTaskInput{TaskDefinition: aws.String("web"), ContainerInstances: []string{arn}}))
	d := must[*ecs.DescribeContainerInstancesOutput](t)(c.DescribeContainerInstances(ctx, &ecs.DescribeContainerInstancesInput{ContainerInstances: []string{arn}})).ContainerInstances[0]
	for _, r := range d.RemainingResources {
		if aws.ToString(r.Name) == "MEMORY" && r.IntegerValue != 4096-128 {
			t.Fatalf("remaining memory %d, want %d", r.IntegerValue, 4096-128)
		}
	}
	if d.PendingTasksCount != 1 {
		t.Fatalf("pending tasks %d", d.PendingTasksCount)
	}
	_, err := c.DeregisterContainerInstance(ctx, &ecs.DeregisterContainerInstanceInput{ContainerInstance: aws.String(arn)})
	if errCode(err) != "InvalidParameterException" {
		t.Fatalf("deregister with tasks: %v", err)
	}
	must[*ecs.UpdateContainerInstancesStateOutput](t)(c.UpdateContainerInstancesState(ctx, &ecs.UpdateContainerInstancesStateInput{ContainerInstances: []string{arn}, Status: types.ContainerInstanceStatusDraining}))
	must[*ecs.DeregisterContainerInstanceOutput](t)(c.DeregisterContainerInstance(ctx, &ecs.DeregisterContainerInstanceInput{ContainerInstance: aws.String(arn), Force: aws.Bool(true)}))
	l = must[*ecs.ListContainerInstancesOutput](t)(c.ListContainerInstances(ctx, &ecs.ListContainerInstancesInput{}))
	if len(l.ContainerInstanceArns) != 0 {
		t.Fatal("deregistered instance still listed")
	}
}

func TestTagsAndSettings(t *testing.T) {
	c := newClient(t)
	ctx := context.Background()
	cl := must[*ecs.CreateClusterOutput](t)(c.CreateCluster(ctx, &ecs.CreateClusterInput{}))
	td := must[*ecs.RegisterTaskDefinitionOutput](t)(c.RegisterTaskDefinition(ctx, webTaskDef("web")))
	for _, arn := range []*string{cl.Cluster.ClusterArn, td.TaskDefinition.TaskDefinitionArn} {
		must[*ecs.TagResourceOutput](t)(c.TagResource(ctx, &ecs.TagResourceInput{ResourceArn: arn, Tags: []types.Tag{{Key: aws.String("a"), Value: aws.String("1")}, {Key: aws.String("b"), Value: aws.String("2")}}}))
		must[*ecs.UntagResourceOutput](t)(c.UntagResource(ctx, &ecs.UntagResourceInput{ResourceArn: arn, TagKeys: []string{"a"}}))
		tags := must[*ecs.ListTagsForResourceOutput](t)(c.ListTagsForResource(ctx, &ecs.ListTagsForResourceInput{ResourceArn: arn}))
		if len(tags.Tags) != 1 || aws.ToString(tags.Tags[0].Key) != "b" {
			t.Fatalf("%s tags = %+v", aws.ToString(arn), tags.Tags)
		}
	}
	_, err := c.TagResource(ctx, &ecs.TagResourceInput{ResourceArn: cl.Cluster.ClusterArn, Tags: []types.Tag{{Key: aws.String("aws:x"), Value: aws.String("1")}}})
	if errCode(err) != "InvalidParameterException" {
		t.Fatalf("aws: tag: %v", err)
	}
	must[*ecs.PutAccountSettingDefaultOutput](t)(c.PutAccountSettingDefault(ctx, &ecs.PutAccountSettingDefaultInput{Name: types.SettingNameContainerInsights, Value: aws.String("enabled")}))
	eff := must[*ecs.ListAccountSettingsOutput](t)(c.ListAccountSettings(ctx, &ecs.ListAccountSettingsInput{Name: types.SettingNameContainerInsights, EffectiveSettings: true}))
	if len(eff.Settings) != 1 || aws.ToString(eff.Settings[0].Value) != "enabled" {
		t.Fatalf("effective containerInsights = %+v", eff.Settings)
	}
}

func TestServicePagination(t *testing.T) {
	c := newClient(t)
	ctx := context.Background()
	must[*ecs.CreateClusterOutput](t)(c.CreateCluster(ctx, &ecs.CreateClusterInput{}))
	must[*ecs.RegisterTaskDefinitionOutput](t)(c.RegisterTaskDefinition(ctx, webTaskDef("web")))
	var want []string
	for i := range 25 {
		s := must[*ecs.CreateServiceOutput](t)(c.CreateService(ctx, &ecs.CreateServiceInput{ServiceName: aws.String(fmt.Sprintf("s%02d", i)), TaskDefinition: aws.String("web")}))
		want = append(want, aws.ToString(s.Service.ServiceArn))
	}
	first := must[*ecs.ListServicesOutput](t)(c.ListServices(ctx, &ecs.ListServicesInput{}))
	if len(first.ServiceArns) != 10 || first.NextToken == nil {
		t.Fatalf("first page: %d arns, token %v (AWS pages 10 by default)", len(first.ServiceArns), first.NextToken)
	}
	var got []string
	p := ecs.NewListServicesPaginator(c, &ecs.ListServicesInput{})
	for p.HasMorePages() {
		got = append(got, must[*ecs.ListServicesOutput](t)(p.NextPage(ctx)).ServiceArns...)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatal(diff)
	}
	_, err := c.ListServices(ctx, &ecs.ListServicesInput{NextToken: aws.String("garbage!")})
	if errCode(err) != "InvalidParameterException" {
		t.Fatalf("bad token: %v", err)
	}
}
