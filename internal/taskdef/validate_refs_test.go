package taskdef

import "testing"

// twoContainers sets c0 and c1 as the containers of in.
func twoContainers(in *RegisterInput) { setContainers(in, 2) }

func TestValidateDependencies(t *testing.T) {
	dep := func(name, cond string) []ContainerDependency {
		return []ContainerDependency{{ContainerName: name, Condition: cond}}
	}
	runValidationCases(t, []validationCase{
		{name: "start", mutate: func(in *RegisterInput) { twoContainers(in); in.ContainerDefinitions[0].DependsOn = dep("c1", "START") }},
		{name: "missing target", mutate: func(in *RegisterInput) { app(in).DependsOn = dep("db", "START") },
			code: clientErr, msg: "Cannot depend on container + 'db' because it does not exist"},
		{name: "unknown condition", mutate: func(in *RegisterInput) { twoContainers(in); in.ContainerDefinitions[0].DependsOn = dep("c1", "READY") },
			code: invalidErr, msg: "1 validation error detected: Value 'READY' at 'containerDefinitions.1.member.dependsOn.1.member.condition' failed to satisfy constraint: Member must satisfy enum value set: [START, COMPLETE, SUCCESS, HEALTHY]"},
		{name: "condition missing", mutate: func(in *RegisterInput) { twoContainers(in); in.ContainerDefinitions[0].DependsOn = dep("c1", "") },
			code: invalidErr, msg: "1 validation error detected: Value null at 'containerDefinitions.1.member.dependsOn.1.member.condition' failed to satisfy constraint: Member must not be null"},
		{name: "success on essential", mutate: func(in *RegisterInput) {
			twoContainers(in)
			in.ContainerDefinitions[0].DependsOn = dep("c1", "SUCCESS")
		},
			code: clientErr, msg: "A dependency container with SUCCESS or COMPLETE condition cannot be an essential container"},
		{name: "complete on essential", mutate: func(in *RegisterInput) {
			twoContainers(in)
			in.ContainerDefinitions[0].DependsOn = dep("c1", "COMPLETE")
		},
			code: clientErr, msg: "A dependency container with SUCCESS or COMPLETE condition cannot be an essential container"},
		{name: "success on non-essential", mutate: func(in *RegisterInput) {
			twoContainers(in)
			in.ContainerDefinitions[0].DependsOn = dep("c1", "SUCCESS")
			in.ContainerDefinitions[1].Essential = new(false)
		}},
		{name: "healthy without health check", mutate: func(in *RegisterInput) {
			twoContainers(in)
			in.ContainerDefinitions[0].DependsOn = dep("c1", "HEALTHY")
		},
			code: clientErr, msg: "A dependency container with HEALTHY condition must have a health check configured"},
		{name: "healthy with health check", mutate: func(in *RegisterInput) {
			twoContainers(in)
			in.ContainerDefinitions[0].DependsOn = dep("c1", "HEALTHY")
			in.ContainerDefinitions[1].HealthCheck = &HealthCheck{Command: []string{"CMD", "true"}}
		}},
		{name: "self", mutate: func(in *RegisterInput) { app(in).DependsOn = dep("app", "START") },
			code: clientErr, msg: "Container dependencies of container 'app' contain a cycle."},
		{name: "cycle", mutate: func(in *RegisterInput) {
			setContainers(in, 3)
			in.ContainerDefinitions[0].DependsOn = dep("c1", "START")
			in.ContainerDefinitions[1].DependsOn = dep("c2", "START")
			in.ContainerDefinitions[2].DependsOn = dep("c0", "START")
		}, code: clientErr, msg: "Container dependencies of container 'c0' contain a cycle."},
	})
}

func TestValidateVolumes(t *testing.T) {
	runValidationCases(t, []validationCase{
		{name: "mount", mutate: func(in *RegisterInput) {
			in.Volumes = []Volume{{Name: "data", Host: &HostVolumeProperties{SourcePath: "/srv"}}}
			app(in).MountPoints = []MountPoint{{SourceVolume: "data", ContainerPath: "/data"}}
		}},
		{name: "mount of missing volume", mutate: func(in *RegisterInput) {
			app(in).MountPoints = []MountPoint{{SourceVolume: "data", ContainerPath: "/data"}}
		},
			code: clientErr, msg: "Invalid 'mountPoints' setting for container 'app'. Volume 'data' does not exist."},
		{name: "volume name with dot", mutate: func(in *RegisterInput) { in.Volumes = []Volume{{Name: "my.data"}} },
			code: clientErr, msg: "Volume name contains invalid characters."},
		{name: "duplicate volume", mutate: func(in *RegisterInput) { in.Volumes = []Volume{{Name: "data"}, {Name: "data"}} },
			code: clientErr, msg: "Volume names must be unique within a Task Definition."},
		{name: "efs without name", mutate: func(in *RegisterInput) {
			in.Volumes = []Volume{{EFSVolumeConfiguration: &EFSVolumeConfiguration{FileSystemID: "fs-1"}}}
		}, code: clientErr, msg: "Volume name should not be null or empty."},
		{name: "efs without file system", mutate: func(in *RegisterInput) {
			in.Volumes = []Volume{{Name: "efs", EFSVolumeConfiguration: &EFSVolumeConfiguration{}}}
		}, code: invalidErr, msg: "1 validation error detected: Value null at 'volumes.1.member.efsVolumeConfiguration.fileSystemId' failed to satisfy constraint: Member must not be null"},
		{name: "efs iam", mutate: func(in *RegisterInput) {
			in.Volumes = []Volume{{Name: "efs", EFSVolumeConfiguration: &EFSVolumeConfiguration{FileSystemID: "fs-1", AuthorizationConfig: &EFSAuthorizationConfig{IAM: "on"}}}}
		}, code: invalidErr, msg: "1 validation error detected: Value 'on' at 'volumes.1.member.efsVolumeConfiguration.authorizationConfig.iam' failed to satisfy constraint: Member must satisfy enum value set: [ENABLED, DISABLED]"},
		{name: "docker scope", mutate: func(in *RegisterInput) {
			in.Volumes = []Volume{{Name: "d", DockerVolumeConfiguration: &DockerVolumeConfiguration{Scope: "global"}}}
		}, code: invalidErr, msg: "1 validation error detected: Value 'global' at 'volumes.1.member.dockerVolumeConfiguration.scope' failed to satisfy constraint: Member must satisfy enum value set: [task, shared]"},
		{name: "fsx without authorization", mutate: func(in *RegisterInput) {
			in.Volumes = []Volume{{Name: "fsx", FSxWindowsFileServerVolumeConfiguration: &FSxWindowsFileServerVolumeConfiguration{FileSystemID: "fs-1", RootDirectory: `\share`}}}
		}, code: invalidErr, msg: "1 validation error detected: Value null at 'volumes.1.member.fsxWindowsFileServerVolumeConfiguration.authorizationConfig' failed to satisfy constraint: Member must not be null"},
		{name: "s3 files without arn", mutate: func(in *RegisterInput) {
			in.Volumes = []Volume{{Name: "s3", S3FilesVolumeConfiguration: &S3FilesVolumeConfiguration{}}}
		}, code: invalidErr, msg: "1 validation error detected: Value null at 'volumes.1.member.s3filesVolumeConfiguration.fileSystemArn' failed to satisfy constraint: Member must not be null"},
		{name: "volumes from", mutate: func(in *RegisterInput) {
			twoContainers(in)
			in.ContainerDefinitions[0].VolumesFrom = []VolumeFrom{{SourceContainer: "c1"}}
		}},
		{name: "volumes from missing container", mutate: func(in *RegisterInput) { app(in).VolumesFrom = []VolumeFrom{{SourceContainer: "data"}} },
			code: clientErr, msg: "Invalid 'volumesFrom' setting for container 'app'. Source container 'data' does not exist."},
		{name: "volumes from itself", mutate: func(in *RegisterInput) { app(in).VolumesFrom = []VolumeFrom{{SourceContainer: "app"}} },
			code: clientErr, msg: "Invalid 'volumesFrom' setting for container 'app'. Source container 'app' does not exist."},
	})
}

func TestValidateLogConfiguration(t *testing.T) {
	runValidationCases(t, []validationCase{
		{name: "awslogs", mutate: func(in *RegisterInput) { app(in).LogConfiguration = awslogs() }},
		{name: "awslogs without group", mutate: func(in *RegisterInput) {
			app(in).LogConfiguration = &LogConfiguration{LogDriver: "awslogs", Options: map[string]string{"awslogs-region": "us-east-1"}}
		}, code: clientErr, msg: "Log driver awslogs requires options: awslogs-region, awslogs-group"},
		{name: "json-file", mutate: func(in *RegisterInput) { app(in).LogConfiguration = &LogConfiguration{LogDriver: "json-file"} }},
		{name: "unknown driver", mutate: func(in *RegisterInput) { app(in).LogConfiguration = &LogConfiguration{LogDriver: "loki"} },
			code: invalidErr, msg: "1 validation error detected: Value 'loki' at 'containerDefinitions.1.member.logConfiguration.logDriver' failed to satisfy constraint: Member must satisfy enum value set: [json-file, syslog, journald, gelf, fluentd, awslogs, splunk, awsfirelens]"},
		{name: "driver missing", mutate: func(in *RegisterInput) { app(in).LogConfiguration = &LogConfiguration{} },
			code: invalidErr, msg: "1 validation error detected: Value null at 'containerDefinitions.1.member.logConfiguration.logDriver' failed to satisfy constraint: Member must not be null"},
		{name: "secret option without value", mutate: func(in *RegisterInput) {
			app(in).LogConfiguration = &LogConfiguration{LogDriver: "splunk", SecretOptions: []Secret{{Name: "splunk-token"}}}
		}, code: invalidErr, msg: "1 validation error detected: Value null at 'containerDefinitions.1.member.logConfiguration.secretOptions.1.member.valueFrom' failed to satisfy constraint: Member must not be null"},
	})
}

func TestValidateContainerSettings(t *testing.T) {
	at := func(member string) string { return "containerDefinitions.1.member." + member }
	null := func(path string) string {
		return "1 validation error detected: Value null at '" + at(path) + "' failed to satisfy constraint: Member must not be null"
	}
	runValidationCases(t, []validationCase{
		{name: "eleven environment files", mutate: func(in *RegisterInput) {
			app(in).EnvironmentFiles = make([]EnvironmentFile, 11)
			for i := range app(in).EnvironmentFiles {
				app(in).EnvironmentFiles[i] = EnvironmentFile{Type: "s3", Value: "arn:aws:s3:::b/x.env"}
			}
		}, code: clientErr, msg: "Invalid 'environmentFiles' setting for container 'app'. The maximum is 10 files."},
		{name: "environment file type", mutate: func(in *RegisterInput) { app(in).EnvironmentFiles = []EnvironmentFile{{Type: "http", Value: "x"}} },
			code: invalidErr, msg: "1 validation error detected: Value 'http' at '" + at("environmentFiles.1.member.type") + "' failed to satisfy constraint: Member must satisfy enum value set: [s3]"},
		{name: "restart policy", mutate: func(in *RegisterInput) {
			app(in).RestartPolicy = &ContainerRestartPolicy{Enabled: new(true), IgnoredExitCodes: []int32{0}, RestartAttemptPeriod: new(int32(60))}
		}},
		{name: "restart policy enabled missing", mutate: func(in *RegisterInput) { app(in).RestartPolicy = &ContainerRestartPolicy{} },
			code: invalidErr, msg: null("restartPolicy.enabled")},
		{name: "restart attempt period 59", mutate: func(in *RegisterInput) {
			app(in).RestartPolicy = &ContainerRestartPolicy{Enabled: new(true), RestartAttemptPeriod: new(int32(59))}
		}, code: clientErr, msg: "Invalid 'restartPolicy' setting for container 'app'. 'restartAttemptPeriod' must be between 60 and 1800."},
		{name: "fifty-one ignored exit codes", mutate: func(in *RegisterInput) {
			app(in).RestartPolicy = &ContainerRestartPolicy{Enabled: new(true), IgnoredExitCodes: make([]int32, 51)}
		}, code: clientErr, msg: "Invalid 'restartPolicy' setting for container 'app'. At most 50 ignoredExitCodes are allowed."},
		{name: "negative stop timeout", mutate: func(in *RegisterInput) { app(in).StopTimeout = new(int32(-1)) },
			code: clientErr, msg: "Invalid 'stopTimeout' setting for container 'app'."},
		{name: "swappiness 101", mutate: func(in *RegisterInput) {
			app(in).LinuxParameters = &LinuxParameters{MaxSwap: new(int32(0)), Swappiness: new(int32(101))}
		},
			code: clientErr, msg: "Invalid 'swappiness' setting for container 'app'. It must be between 0 and 100."},
		{name: "tmpfs size missing", mutate: func(in *RegisterInput) {
			app(in).LinuxParameters = &LinuxParameters{Tmpfs: []Tmpfs{{ContainerPath: "/tmp"}}}
		},
			code: invalidErr, msg: null("linuxParameters.tmpfs.1.member.size")},
		{name: "tmpfs size 0", mutate: func(in *RegisterInput) {
			app(in).LinuxParameters = &LinuxParameters{Tmpfs: []Tmpfs{{ContainerPath: "/tmp", Size: new(int32(0))}}}
		}, code: clientErr, msg: "Invalid 'tmpfs' setting for container 'app'. The size must be greater than 0."},
		{name: "device permission", mutate: func(in *RegisterInput) {
			app(in).LinuxParameters = &LinuxParameters{Devices: []Device{{HostPath: "/dev/fuse", Permissions: []string{"execute"}}}}
		}, code: invalidErr, msg: "1 validation error detected: Value 'execute' at '" + at("linuxParameters.devices.1.member.permissions.1.member") + "' failed to satisfy constraint: Member must satisfy enum value set: [read, write, mknod]"},
		{name: "ulimit name", mutate: func(in *RegisterInput) {
			app(in).Ulimits = []Ulimit{{Name: "files", SoftLimit: new(int32(1)), HardLimit: new(int32(1))}}
		}, code: invalidErr, msg: "1 validation error detected: Value 'files' at '" + at("ulimits.1.member.name") + "' failed to satisfy constraint: Member must satisfy enum value set: [core, cpu, data, fsize, locks, memlock, msgqueue, nice, nofile, nproc, rss, rtprio, rttime, sigpending, stack]"},
		{name: "ulimit hard limit missing", mutate: func(in *RegisterInput) { app(in).Ulimits = []Ulimit{{Name: "nofile", SoftLimit: new(int32(1024))}} },
			code: invalidErr, msg: null("ulimits.1.member.hardLimit")},
		{name: "secret without value", mutate: func(in *RegisterInput) { app(in).Secrets = []Secret{{Name: "DB_PASSWORD"}} },
			code: invalidErr, msg: null("secrets.1.member.valueFrom")},
		{name: "repository credentials", mutate: func(in *RegisterInput) { app(in).RepositoryCredentials = &RepositoryCredentials{} },
			code: invalidErr, msg: null("repositoryCredentials.credentialsParameter")},
		{name: "resource requirement type", mutate: func(in *RegisterInput) {
			app(in).ResourceRequirements = []ResourceRequirement{{Type: "TPU", Value: "1"}}
		},
			code: invalidErr, msg: "1 validation error detected: Value 'TPU' at '" + at("resourceRequirements.1.member.type") + "' failed to satisfy constraint: Member must satisfy enum value set: [GPU, InferenceAccelerator]"},
		{name: "firelens type missing", mutate: func(in *RegisterInput) { app(in).FirelensConfiguration = &FirelensConfiguration{} },
			code: invalidErr, msg: null("firelensConfiguration.type")},
		{name: "version consistency", mutate: func(in *RegisterInput) { app(in).VersionConsistency = "always" },
			code: invalidErr, msg: "1 validation error detected: Value 'always' at '" + at("versionConsistency") + "' failed to satisfy constraint: Member must satisfy enum value set: [enabled, disabled]"},
		{name: "second container path", mutate: func(in *RegisterInput) {
			twoContainers(in)
			in.ContainerDefinitions[1].Secrets = []Secret{{ValueFrom: "arn"}}
		}, code: invalidErr, msg: "1 validation error detected: Value null at 'containerDefinitions.2.member.secrets.1.member.name' failed to satisfy constraint: Member must not be null"},
	})
}
