package taskdef

import (
	"errors"
	"math"
	"math/big"
	"regexp"
	"strings"
)

// Bounds of task-level cpu for the EC2 and EXTERNAL launch types, in CPU units
// (AWS: "Supported values are between 128 CPU units (0.125 vCPUs) and 196608
// CPU units (192 vCPUs)").
const (
	MinTaskCPU = 128
	MaxTaskCPU = 196608
)

// MinContainerMemory is the smallest container memory or memoryReservation,
// in MiB, that Docker 20.10 and later accept.
const MinContainerMemory = 6

var (
	errBadCPU    = errors.New("invalid cpu value")
	errBadMemory = errors.New("invalid memory value")

	// unitsPattern matches "1024", "1 vCPU", "0.25 vcpu", "2GB" and "0.5 GB":
	// a plain decimal number, an optional space, and an optional unit.
	unitsPattern = regexp.MustCompile(`^([0-9]+(?:\.[0-9]+)?|\.[0-9]+)\s*([A-Za-z]*)$`)
)

// ParseCPU converts a task-level cpu value to CPU units. It accepts an
// integer number of units ("1024") or vCPUs written with a "vCPU" suffix in
// any case, with or without a space ("1 vCPU", "0.25 vcpu", "2vCPU"). One vCPU
// is 1024 units; a value that is not a whole number of units, is zero, or
// does not fit an int32 is an error. It does not apply the launch types'
// range limits.
func ParseCPU(s string) (int32, error) {
	n, unit, ok := splitUnits(s)
	if !ok {
		return 0, errBadCPU
	}
	switch strings.ToLower(unit) {
	case "":
		if strings.Contains(n, ".") {
			return 0, errBadCPU
		}
		return scale(n, 1, errBadCPU)
	case "vcpu", "vcpus":
		return scale(n, 1024, errBadCPU)
	}
	return 0, errBadCPU
}

// ParseMemory converts a task-level memory value to MiB. It accepts an integer
// number of MiB ("2048") or gigabytes written with a "GB" suffix in any case,
// with or without a space ("2GB", "0.5 GB"). One GB is 1024 MiB; a value that
// is not a whole number of MiB, is zero, or does not fit an int32 is an
// error.
func ParseMemory(s string) (int32, error) {
	n, unit, ok := splitUnits(s)
	if !ok {
		return 0, errBadMemory
	}
	switch strings.ToLower(unit) {
	case "":
		if strings.Contains(n, ".") {
			return 0, errBadMemory
		}
		return scale(n, 1, errBadMemory)
	case "gb":
		return scale(n, 1024, errBadMemory)
	}
	return 0, errBadMemory
}

// splitUnits splits a trimmed value into its number and unit.
func splitUnits(s string) (number, unit string, ok bool) {
	m := unitsPattern.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil {
		return "", "", false
	}
	return m[1], m[2], true
}

// scale multiplies the decimal number n by factor exactly and returns it if
// the result is a positive whole number that fits an int32.
func scale(n string, factor int64, bad error) (int32, error) {
	r, ok := new(big.Rat).SetString(n)
	if !ok {
		return 0, bad
	}
	r.Mul(r, new(big.Rat).SetInt64(factor))
	if !r.IsInt() || r.Sign() <= 0 {
		return 0, bad
	}
	v := r.Num()
	if !v.IsInt64() || v.Int64() > math.MaxInt32 {
		return 0, bad
	}
	return int32(v.Int64()), nil
}

// fargateMemory lists, for each Fargate task cpu value, the smallest and
// largest memory value in MiB and the step between valid values.
var fargateMemory = map[int32]struct{ min, max, step int32 }{
	256:   {512, 2048, 512}, // 512, 1024 and 2048 are valid; 1536 is not.
	512:   {1024, 4096, 1024},
	1024:  {2048, 8192, 1024},
	2048:  {4096, 16384, 1024},
	4096:  {8192, 30720, 1024},
	8192:  {16384, 61440, 4096},
	16384: {32768, 122880, 8192},
}

// FargateSizeValid reports whether cpu units and memory MiB are a task size
// that Fargate offers.
func FargateSizeValid(cpu, memory int32) bool {
	r, ok := fargateMemory[cpu]
	if !ok || memory < r.min || memory > r.max || (memory-r.min)%r.step != 0 {
		return false
	}
	return cpu != 256 || memory != 1536
}

// ReservedCPU returns the CPU units a task of td reserves: the task-level cpu
// if it is set, otherwise the sum of its containers' cpu.
func (td *TaskDefinition) ReservedCPU() int32 {
	if n, err := ParseCPU(td.CPU); err == nil {
		return n
	}
	var sum int64
	for _, c := range td.ContainerDefinitions {
		if c.CPU != nil && *c.CPU > 0 {
			sum += int64(*c.CPU)
		}
	}
	return clamp32(sum)
}

// ReservedMemory returns the MiB a task of td reserves: the task-level memory
// if it is set, otherwise the sum over its containers of memoryReservation,
// or of memory for containers without a reservation.
func (td *TaskDefinition) ReservedMemory() int32 {
	if n, err := ParseMemory(td.Memory); err == nil {
		return n
	}
	var sum int64
	for _, c := range td.ContainerDefinitions {
		switch {
		case c.MemoryReservation != nil && *c.MemoryReservation > 0:
			sum += int64(*c.MemoryReservation)
		case c.Memory != nil && *c.Memory > 0:
			sum += int64(*c.Memory)
		}
	}
	return clamp32(sum)
}

// clamp32 limits a sum of int32 values to the int32 range.
func clamp32(n int64) int32 {
	if n > math.MaxInt32 {
		return math.MaxInt32
	}
	return int32(n)
}
