package imagebuild

import (
	"debug/elf"
	"fmt"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// elfMachine returns the ELF machine and class of a GOARCH-style
// architecture, and whether it knows the architecture.
func elfMachine(arch string) (elf.Machine, elf.Class, bool) {
	switch arch {
	case "amd64":
		return elf.EM_X86_64, elf.ELFCLASS64, true
	case "386":
		return elf.EM_386, elf.ELFCLASS32, true
	case "arm64":
		return elf.EM_AARCH64, elf.ELFCLASS64, true
	case "arm":
		return elf.EM_ARM, elf.ELFCLASS32, true
	case "riscv64":
		return elf.EM_RISCV, elf.ELFCLASS64, true
	case "ppc64le":
		return elf.EM_PPC64, elf.ELFCLASS64, true
	case "s390x":
		return elf.EM_S390, elf.ELFCLASS64, true
	case "loong64":
		return elf.EM_LOONGARCH, elf.ELFCLASS64, true
	}
	return 0, 0, false
}

// CheckBinary checks that the file at path is an ELF executable for platform
// p (zero fields default as in Spec.Platform) and returns its program
// interpreter, such as "/lib64/ld-linux-x86-64.so.2", or "" when it is
// statically linked. A dynamically linked binary needs a C library that an
// image built from the binary alone does not have, so callers should warn
// about a non-empty interpreter.
func CheckBinary(path string, p v1.Platform) (interpreter string, err error) {
	p = platformOrDefault(p)
	if p.OS != "linux" {
		return "", fmt.Errorf("binary %s: cannot check binaries for %s; only linux is supported", path, p.OS)
	}
	f, err := elf.Open(path)
	if err != nil {
		return "", fmt.Errorf("binary %s is not a Linux executable: %w", path, err)
	}
	defer f.Close()
	if f.Type != elf.ET_EXEC && f.Type != elf.ET_DYN {
		return "", fmt.Errorf("binary %s is not an executable (ELF type %s)", path, f.Type)
	}
	if machine, class, known := elfMachine(p.Architecture); known && (f.Machine != machine || f.Class != class) {
		return "", fmt.Errorf("binary %s is built for %s (%s), not %s/%s; build it with GOOS=linux GOARCH=%s",
			path, f.Machine, f.Class, p.OS, p.Architecture, p.Architecture)
	}
	for _, prog := range f.Progs {
		if prog.Type != elf.PT_INTERP {
			continue
		}
		buf := make([]byte, prog.Filesz)
		if _, err := prog.ReadAt(buf, 0); err != nil {
			return "", fmt.Errorf("binary %s: read program interpreter: %w", path, err)
		}
		for len(buf) > 0 && buf[len(buf)-1] == 0 {
			buf = buf[:len(buf)-1]
		}
		if len(buf) == 0 {
			return "(unnamed)", nil
		}
		return string(buf), nil
	}
	return "", nil
}
