package ecs_test

import (
	"fmt"
	"strings"
	"testing"
)

// BenchmarkDescribeServices measures the whole path of a 10-service
// DescribeServices through the real server and the SDK's wire format,
// including SigV4 verification (signing happens in the client too).
func BenchmarkDescribeServices(b *testing.B) {
	c := newRawClient(b)
	c.call(b, "CreateCluster", `{"clusterName":"bench"}`)
	c.call(b, "RegisterTaskDefinition", `{"family":"web","containerDefinitions":[{"name":"web","image":"web","memory":128,"portMappings":[{"containerPort":80}]}]}`)
	var names []string
	for i := range 10 {
		names = append(names, fmt.Sprintf("%q", fmt.Sprintf("s%d", i)))
		c.call(b, "CreateService", fmt.Sprintf(`{"cluster":"bench","serviceName":"s%d","taskDefinition":"web","desiredCount":0}`, i))
	}
	body := fmt.Sprintf(`{"cluster":"bench","services":[%s]}`, strings.Join(names, ","))
	b.ResetTimer()
	for b.Loop() {
		if r := c.call(b, "DescribeServices", body); r.Status != 200 {
			b.Fatal(r.Body)
		}
	}
}
