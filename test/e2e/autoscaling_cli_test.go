package e2e

import (
	"os"
	"testing"
	"time"
)

// TestAutoScalingAWSCLI drives Tide's Application Auto Scaling with the aws
// CLI v2: cli/autoscaling.sh, the commands of docs/autoscaling.md.
func TestAutoScalingAWSCLI(t *testing.T) {
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
	runScript(t, s, 3*time.Minute, "bash", "cli/autoscaling.sh")
}
