package taskdef

import (
	"testing"
)

func TestParseCPU(t *testing.T) {
	tests := []struct {
		in   string
		want int32 // 0 means an error
	}{
		{"1024", 1024},
		{"256", 256},
		{" 512 ", 512},
		{"1 vCPU", 1024},
		{"1 vcpu", 1024},
		{"1vCPU", 1024},
		{"2 VCPU", 2048},
		{"0.25 vCPU", 256},
		{".5 vCPU", 512},
		{"0.125 vcpu", 128},
		{"192 vCPU", 196608},
		{"4 vcpus", 4096},
		{"0.1 vCPU", 0},     // 102.4 units
		{"1.5", 0},          // units are whole numbers
		{"0", 0},            // zero
		{"0 vCPU", 0},       // zero
		{"-1024", 0},        // negative
		{"", 0},             // empty
		{"vCPU", 0},         // no number
		{"1 GB", 0},         // wrong unit
		{"1 cpu", 0},        // wrong unit
		{"1e3", 0},          // exponent
		{"0x400", 0},        // hexadecimal
		{"1 000", 0},        // inner space
		{"2097152 vCPU", 0}, // overflows int32
		{"2147483647", 2147483647},
		{"2147483648", 0},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, err := ParseCPU(tc.in)
			if tc.want == 0 {
				if err == nil {
					t.Fatalf("ParseCPU(%q) = %d, want an error", tc.in, got)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("ParseCPU(%q) = %d, %v, want %d", tc.in, got, err, tc.want)
			}
		})
	}
}

func TestParseMemory(t *testing.T) {
	tests := []struct {
		in   string
		want int32 // 0 means an error
	}{
		{"512", 512},
		{"2048", 2048},
		{"2GB", 2048},
		{"2 GB", 2048},
		{"2 gb", 2048},
		{"0.5 GB", 512},
		{"0.5GB", 512},
		{".5 GB", 512},
		{"120 GB", 122880},
		{"1.001 GB", 0}, // not a whole number of MiB
		{"512.5", 0},    // MiB are whole numbers
		{"0", 0},
		{"0 GB", 0},
		{"-1", 0},
		{"", 0},
		{"GB", 0},
		{"2 GiB", 0}, // only GB is documented
		{"2 MB", 0},
		{"2 vCPU", 0},
		{"3000000 GB", 0}, // overflows int32
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, err := ParseMemory(tc.in)
			if tc.want == 0 {
				if err == nil {
					t.Fatalf("ParseMemory(%q) = %d, want an error", tc.in, got)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("ParseMemory(%q) = %d, %v, want %d", tc.in, got, err, tc.want)
			}
		})
	}
}

func TestFargateSizeValid(t *testing.T) {
	tests := []struct {
		cpu, mem int32
		want     bool
	}{
		{256, 512, true}, {256, 1024, true}, {256, 1536, false}, {256, 2048, true}, {256, 3072, false},
		{512, 512, false}, {512, 1024, true}, {512, 4096, true}, {512, 5120, false},
		{1024, 1024, false}, {1024, 2048, true}, {1024, 8192, true}, {1024, 2560, false},
		{2048, 4096, true}, {2048, 16384, true}, {2048, 17408, false},
		{4096, 8192, true}, {4096, 30720, true}, {4096, 31744, false},
		{8192, 16384, true}, {8192, 20480, true}, {8192, 17408, false}, {8192, 61440, true}, {8192, 65536, false},
		{16384, 32768, true}, {16384, 40960, true}, {16384, 36864, false}, {16384, 122880, true},
		{128, 512, false}, {32768, 65536, false},
	}
	for _, tc := range tests {
		if got := FargateSizeValid(tc.cpu, tc.mem); got != tc.want {
			t.Errorf("FargateSizeValid(%d, %d) = %v, want %v", tc.cpu, tc.mem, got, tc.want)
		}
	}
}

func TestReservedResources(t *testing.T) {
	two := func(c0, c1 ContainerDefinition) []ContainerDefinition { return []ContainerDefinition{c0, c1} }
	tests := []struct {
		name        string
		td          TaskDefinition
		cpu, memory int32
	}{
		{name: "task level", td: TaskDefinition{CPU: "1024", Memory: "2048", ContainerDefinitions: two(
			ContainerDefinition{CPU: new(int32(10)), Memory: new(int32(100))},
			ContainerDefinition{CPU: new(int32(10)), Memory: new(int32(100))},
		)}, cpu: 1024, memory: 2048},
		{name: "container level", td: TaskDefinition{ContainerDefinitions: two(
			ContainerDefinition{CPU: new(int32(128)), Memory: new(int32(512)), MemoryReservation: new(int32(256))},
			ContainerDefinition{CPU: new(int32(0)), Memory: new(int32(300))},
		)}, cpu: 128, memory: 556},
		{name: "memory at task level only", td: TaskDefinition{Memory: "1024", ContainerDefinitions: two(
			ContainerDefinition{CPU: new(int32(100))}, ContainerDefinition{},
		)}, cpu: 100, memory: 1024},
		{name: "nothing", td: TaskDefinition{ContainerDefinitions: two(ContainerDefinition{}, ContainerDefinition{})}},
		{name: "unnormalised task values", td: TaskDefinition{CPU: "1 vCPU", Memory: "1 GB", ContainerDefinitions: two(
			ContainerDefinition{CPU: new(int32(7)), Memory: new(int32(70))}, ContainerDefinition{MemoryReservation: new(int32(30))},
		)}, cpu: 1024, memory: 1024},
		{name: "invalid task values", td: TaskDefinition{CPU: "lots", Memory: "0", ContainerDefinitions: two(
			ContainerDefinition{CPU: new(int32(7)), Memory: new(int32(70))}, ContainerDefinition{MemoryReservation: new(int32(30))},
		)}, cpu: 7, memory: 100},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.td.ReservedCPU(); got != tc.cpu {
				t.Errorf("ReservedCPU() = %d, want %d", got, tc.cpu)
			}
			if got := tc.td.ReservedMemory(); got != tc.memory {
				t.Errorf("ReservedMemory() = %d, want %d", got, tc.memory)
			}
		})
	}
}
