package imagebuild

import (
	"debug/elf"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

func TestCheckBinary(t *testing.T) {
	hello := buildHello(t)
	script := writeFile(t, "script", "#!/bin/sh\necho hi\n", 0o755)
	other := "s390x"
	if runtime.GOARCH == "s390x" {
		other = "amd64"
	}
	for _, tc := range []struct {
		name     string
		path     string
		platform v1.Platform
		wantErr  string
	}{
		{"static go binary", hello, v1.Platform{}, ""},
		{"static go binary, explicit platform", hello, v1.Platform{OS: "linux", Architecture: runtime.GOARCH}, ""},
		{"other architecture", hello, v1.Platform{Architecture: other}, "GOARCH=" + other},
		{"other os", hello, v1.Platform{OS: "windows"}, "only linux"},
		{"shell script", script, v1.Platform{}, "not a Linux executable"},
		{"missing", filepath.Join(t.TempDir(), "none"), v1.Platform{}, "no such file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			interp, err := CheckBinary(tc.path, tc.platform)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("CheckBinary error = %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || interp != "" {
				t.Errorf("CheckBinary = %q, %v; want a static binary", interp, err)
			}
		})
	}
}

func TestCheckBinaryDynamic(t *testing.T) {
	// The system's shell is a dynamically linked C program on every Linux
	// distribution that has a C library.
	sh, err := filepath.EvalSymlinks("/bin/sh")
	if err != nil {
		t.Skip("no /bin/sh:", err)
	}
	f, err := elf.Open(sh)
	if err != nil {
		t.Skipf("/bin/sh is not ELF: %v", err)
	}
	f.Close()
	interp, err := CheckBinary(sh, v1.Platform{})
	if err != nil {
		t.Fatal(err)
	}
	if interp == "" {
		t.Skip("/bin/sh is statically linked here")
	}
	if _, err := os.Stat(interp); err != nil {
		t.Errorf("interpreter %q of /bin/sh: %v", interp, err)
	}
}
