// Package alarms is Tide's CloudWatch metric alarms: the API (PutMetricAlarm,
// DescribeAlarms, DescribeAlarmsForMetric, DeleteAlarms, DescribeAlarmHistory,
// SetAlarmState, Enable/DisableAlarmActions and tagging, CloudWatch API
// 2010-08-01), the evaluator that decides an alarm's state from its
// metric's datapoints (a pure function, AWS's M-out-of-N and missing-data
// rules and reason texts), and the controller that evaluates every alarm
// once per period on the leader and fires its actions.
//
// It depends on the store, the edge's operation adapter, awserr, awsjson
// and the metric types; it reads metrics, publishes to SNS topics and
// invokes scaling policies only through the small interfaces it defines
// (MetricSource, Notifier, PolicyInvoker), and knows nothing of those
// services.
package alarms
