package e2e

import (
	"os"
	"testing"
	"time"
)

// TestELBv2AWSCLI drives every ELBv2 operation Tide implements with the aws
// CLI v2: the awsquery protocol end to end, with the CLI's shorthand, JSON
// files, paginators and waiters.
func TestELBv2AWSCLI(t *testing.T) {
	needBinary(t)
	if _, err := os.Stat("/usr/bin/aws"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("/usr/bin/aws is needed and CI is set: %v", err)
		}
		t.Skipf("/usr/bin/aws not installed: %v", err)
	}
	needTool(t, "jq")
	needTool(t, "bash")
	s := startServer(t, t.TempDir())
	runScript(t, s, 3*time.Minute, "bash", "cli/elbv2.sh")
}
