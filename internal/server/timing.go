package server

import (
	"fmt"
	"time"
)

// timing is what a timing profile sets.
type timing struct {
	name         string
	metricPeriod time.Duration // how often ECS and load balancer metrics are published
	hires        bool          // stored at one second
	initialCheck time.Duration // health checks of new targets; 0: the group's interval
	awsPeriods   bool          // alarms take only AWS's periods
}

// timingProfile returns the profile named name: "fast" (the default) or
// "aws".
func timingProfile(name string) (timing, error) {
	switch name {
	case "", "fast":
		return timing{name: "fast", metricPeriod: time.Second, hires: true, initialCheck: time.Second}, nil
	case "aws":
		return timing{name: "aws", metricPeriod: time.Minute, awsPeriods: true}, nil
	}
	return timing{}, fmt.Errorf("unknown timing profile %q: want fast or aws", name)
}
