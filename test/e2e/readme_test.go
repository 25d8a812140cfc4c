package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestReadmeWalkthrough runs, with the aws CLI against a real server, every
// command of README.md's walkthrough block, so that the README cannot rot.
func TestReadmeWalkthrough(t *testing.T) {
	needBinary(t)
	if _, err := os.Stat("/usr/bin/aws"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("/usr/bin/aws is needed and CI is set: %v", err)
		}
		t.Skipf("/usr/bin/aws not installed: %v", err)
	}
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, block, ok := strings.Cut(string(readme), "<!-- walkthrough:begin")
	block, _, ok2 := strings.Cut(block, "<!-- walkthrough:end -->")
	_, block, ok3 := strings.Cut(block, "```bash\n")
	block, _, ok4 := strings.Cut(block, "```")
	if !ok || !ok2 || !ok3 || !ok4 || strings.Count(block, "aws ") < 5 {
		t.Fatalf("README.md has no walkthrough block between the markers")
	}
	script := filepath.Join(t.TempDir(), "walkthrough.sh")
	// The README uses the `aws` on the PATH; the test pins the Debian CLI.
	body := "set -euo pipefail\naws() { /usr/bin/aws \"$@\"; }\n" + block
	if err := os.WriteFile(script, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	// As a new user runs it: `tide server` with its local agent on the
	// default runtime (docker when an engine answers).
	dir := t.TempDir()
	t.Cleanup(func() { killProcessTasks(filepath.Join(dir, "agent", "process")) })
	s := startServer(t, dir, "--runtime=auto")
	runScript(t, s, 2*time.Minute, "bash", script)
}
