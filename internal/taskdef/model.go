package taskdef

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"

	"tide/internal/awserr"
)

// Enumerations of the ECS service model that a task definition uses.
var (
	networkModes        = []string{"bridge", "host", "awsvpc", "none"}
	pidModes            = []string{"host", "task"}
	ipcModes            = []string{"host", "task", "none"}
	compatibilities     = []string{"EC2", "FARGATE", "EXTERNAL", "MANAGED_INSTANCES"}
	transportProtocols  = []string{"tcp", "udp"}
	appProtocols        = []string{"http", "http2", "grpc"}
	envFileTypes        = []string{"s3"}
	deviceCgroupPerms   = []string{"read", "write", "mknod"}
	containerConditions = []string{"START", "COMPLETE", "SUCCESS", "HEALTHY"}
	ulimitNames         = []string{"core", "cpu", "data", "fsize", "locks", "memlock", "msgqueue", "nice", "nofile", "nproc", "rss", "rtprio", "rttime", "sigpending", "stack"}
	logDrivers          = []string{"json-file", "syslog", "journald", "gelf", "fluentd", "awslogs", "splunk", "awsfirelens"}
	resourceTypes       = []string{"GPU", "InferenceAccelerator"}
	firelensTypes       = []string{"fluentd", "fluentbit"}
	versionConsistency  = []string{"enabled", "disabled"}
	volumeScopes        = []string{"task", "shared"}
	efsTransit          = []string{"ENABLED", "DISABLED"}
	efsIAM              = []string{"ENABLED", "DISABLED"}
	constraintTypes     = []string{"memberOf"}
	proxyTypes          = []string{"APPMESH"}
	cpuArchitectures    = []string{"X86_64", "ARM64"}
	osFamilies          = []string{"WINDOWS_SERVER_2019_FULL", "WINDOWS_SERVER_2019_CORE", "WINDOWS_SERVER_2016_FULL", "WINDOWS_SERVER_2004_CORE", "WINDOWS_SERVER_2022_CORE", "WINDOWS_SERVER_2022_FULL", "WINDOWS_SERVER_2025_CORE", "WINDOWS_SERVER_2025_FULL", "WINDOWS_SERVER_20H2_CORE", "LINUX"}
)

// Tag limits of the model's Tags, TagKey and TagValue shapes.
const (
	maxTags        = 50
	maxTagKeyLen   = 128
	maxTagValueLen = 256
)

var tagPattern = regexp.MustCompile(`^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$`)

// constraintError is the message AWS's request validation uses for a member
// that breaks a constraint of the service model.
func constraintError(value, path, constraint string) *awserr.Error {
	return awserr.InvalidParameter("1 validation error detected: Value %s at '%s' failed to satisfy constraint: %s", value, path, constraint)
}

// checkEnum rejects a non-empty value that is not in allowed.
func checkEnum(path, value string, allowed []string) *awserr.Error {
	if value == "" || slices.Contains(allowed, value) {
		return nil
	}
	return enumError(path, value, allowed)
}

// enumError is the error for a value outside an enumeration.
func enumError(path, value string, allowed []string) *awserr.Error {
	return constraintError(fmt.Sprintf("'%s'", value), path, "Member must satisfy enum value set: ["+strings.Join(allowed, ", ")+"]")
}

// required rejects a required member that is absent.
func required(path string, present bool) *awserr.Error {
	if present {
		return nil
	}
	return constraintError("null", path, "Member must not be null")
}

// member returns the request path of element i (0-based) of a list.
func member(list string, i int) string {
	return fmt.Sprintf("%s.%d.member", list, i+1)
}

// first returns the first non-nil error.
func first(errs ...*awserr.Error) *awserr.Error {
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}

// validateModel applies the service model's constraints (enumerations,
// required members of nested shapes and tag limits) to the whole request.
// AWS checks these before the rules of the ECS service itself.
func validateModel(in *RegisterInput) *awserr.Error {
	if e := first(
		checkEnum("networkMode", in.NetworkMode, networkModes),
		checkEnum("pidMode", in.PIDMode, pidModes),
		checkEnum("ipcMode", in.IPCMode, ipcModes),
	); e != nil {
		return e
	}
	for i, c := range in.RequiresCompatibilities {
		if !slices.Contains(compatibilities, c) {
			return enumError(member("requiresCompatibilities", i), c, compatibilities)
		}
	}
	for i := range in.ContainerDefinitions {
		if e := validateContainerModel(member("containerDefinitions", i), &in.ContainerDefinitions[i]); e != nil {
			return e
		}
	}
	for i := range in.Volumes {
		if e := validateVolumeModel(member("volumes", i), &in.Volumes[i]); e != nil {
			return e
		}
	}
	for i, pc := range in.PlacementConstraints {
		if e := checkEnum(member("placementConstraints", i)+".type", pc.Type, constraintTypes); e != nil {
			return e
		}
	}
	if p := in.ProxyConfiguration; p != nil {
		if e := first(
			checkEnum("proxyConfiguration.type", p.Type, proxyTypes),
			required("proxyConfiguration.containerName", p.ContainerName != ""),
		); e != nil {
			return e
		}
	}
	for i, a := range in.InferenceAccelerators {
		path := member("inferenceAccelerators", i)
		if e := first(required(path+".deviceName", a.DeviceName != ""), required(path+".deviceType", a.DeviceType != "")); e != nil {
			return e
		}
	}
	if s := in.EphemeralStorage; s != nil {
		if e := required("ephemeralStorage.sizeInGiB", s.SizeInGiB != nil); e != nil {
			return e
		}
	}
	if p := in.RuntimePlatform; p != nil {
		if e := first(
			checkEnum("runtimePlatform.cpuArchitecture", p.CPUArchitecture, cpuArchitectures),
			checkEnum("runtimePlatform.operatingSystemFamily", p.OperatingSystemFamily, osFamilies),
		); e != nil {
			return e
		}
	}
	return validateTags(in.Tags)
}

// validateVolumeModel checks the enumerations and required members of a
// volume's configurations.
func validateVolumeModel(path string, v *Volume) *awserr.Error {
	if d := v.DockerVolumeConfiguration; d != nil {
		if e := checkEnum(path+".dockerVolumeConfiguration.scope", d.Scope, volumeScopes); e != nil {
			return e
		}
	}
	if f := v.EFSVolumeConfiguration; f != nil {
		p := path + ".efsVolumeConfiguration"
		e := first(
			required(p+".fileSystemId", f.FileSystemID != ""),
			checkEnum(p+".transitEncryption", f.TransitEncryption, efsTransit),
		)
		if e == nil && f.AuthorizationConfig != nil {
			e = checkEnum(p+".authorizationConfig.iam", f.AuthorizationConfig.IAM, efsIAM)
		}
		if e != nil {
			return e
		}
	}
	if s := v.S3FilesVolumeConfiguration; s != nil {
		if e := required(path+".s3filesVolumeConfiguration.fileSystemArn", s.FileSystemARN != ""); e != nil {
			return e
		}
	}
	if f := v.FSxWindowsFileServerVolumeConfiguration; f != nil {
		p := path + ".fsxWindowsFileServerVolumeConfiguration"
		a := f.AuthorizationConfig
		return first(
			required(p+".fileSystemId", f.FileSystemID != ""),
			required(p+".rootDirectory", f.RootDirectory != ""),
			required(p+".authorizationConfig", a != nil),
			required(p+".authorizationConfig.credentialsParameter", a == nil || a.CredentialsParameter != ""),
			required(p+".authorizationConfig.domain", a == nil || a.Domain != ""),
		)
	}
	return nil
}

// validateTags applies the limits of the Tags shape and ECS's reservation of
// the aws: prefix.
func validateTags(tags []Tag) *awserr.Error {
	if len(tags) > maxTags {
		return constraintError("'["+fmt.Sprint(len(tags))+" tags]'", "tags", fmt.Sprintf("Member must have length less than or equal to %d", maxTags))
	}
	seen := make(map[string]bool, len(tags))
	for i, t := range tags {
		path := member("tags", i)
		switch n := utf8.RuneCountInString(t.Key); {
		case n < 1:
			return constraintError("''", path+".key", "Member must have length greater than or equal to 1")
		case n > maxTagKeyLen:
			return constraintError("'"+t.Key+"'", path+".key", fmt.Sprintf("Member must have length less than or equal to %d", maxTagKeyLen))
		case !tagPattern.MatchString(t.Key):
			return constraintError("'"+t.Key+"'", path+".key", "Member must satisfy regular expression pattern: ^([\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*)$")
		}
		switch {
		case utf8.RuneCountInString(t.Value) > maxTagValueLen:
			return constraintError("'"+t.Value+"'", path+".value", fmt.Sprintf("Member must have length less than or equal to %d", maxTagValueLen))
		case !tagPattern.MatchString(t.Value):
			return constraintError("'"+t.Value+"'", path+".value", "Member must satisfy regular expression pattern: ^([\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*)$")
		}
		if strings.HasPrefix(strings.ToLower(t.Key), "aws:") {
			return awserr.InvalidParameter("Tag key must not start with aws:")
		}
		if seen[t.Key] {
			return awserr.InvalidParameter("Tag keys must be unique. The key %s appears more than once.", t.Key)
		}
		seen[t.Key] = true
	}
	return nil
}

// validateContainerModel checks the enumerations and required members of a
// container definition's nested shapes.
func validateContainerModel(path string, c *ContainerDefinition) *awserr.Error {
	var errs []*awserr.Error
	add := func(e ...*awserr.Error) { errs = append(errs, e...) }
	if r := c.RepositoryCredentials; r != nil {
		add(required(path+".repositoryCredentials.credentialsParameter", r.CredentialsParameter != ""))
	}
	for i, p := range c.PortMappings {
		pp := member(path+".portMappings", i)
		add(checkEnum(pp+".protocol", p.Protocol, transportProtocols), checkEnum(pp+".appProtocol", p.AppProtocol, appProtocols))
	}
	if r := c.RestartPolicy; r != nil {
		add(required(path+".restartPolicy.enabled", r.Enabled != nil))
	}
	for i, f := range c.EnvironmentFiles {
		fp := member(path+".environmentFiles", i)
		add(required(fp+".value", f.Value != ""), required(fp+".type", f.Type != ""), checkEnum(fp+".type", f.Type, envFileTypes))
	}
	if lp := c.LinuxParameters; lp != nil {
		for i, d := range lp.Devices {
			dp := member(path+".linuxParameters.devices", i)
			add(required(dp+".hostPath", d.HostPath != ""))
			for j, perm := range d.Permissions {
				if !slices.Contains(deviceCgroupPerms, perm) {
					add(enumError(member(dp+".permissions", j), perm, deviceCgroupPerms))
				}
			}
		}
		for i, t := range lp.Tmpfs {
			tp := member(path+".linuxParameters.tmpfs", i)
			add(required(tp+".containerPath", t.ContainerPath != ""), required(tp+".size", t.Size != nil))
		}
	}
	add(checkSecrets(path+".secrets", c.Secrets))
	for i, d := range c.DependsOn {
		dp := member(path+".dependsOn", i)
		add(required(dp+".containerName", d.ContainerName != ""), required(dp+".condition", d.Condition != ""), checkEnum(dp+".condition", d.Condition, containerConditions))
	}
	add(checkEnum(path+".versionConsistency", c.VersionConsistency, versionConsistency))
	for i, h := range c.ExtraHosts {
		hp := member(path+".extraHosts", i)
		add(required(hp+".hostname", h.Hostname != ""), required(hp+".ipAddress", h.IPAddress != ""))
	}
	for i, u := range c.Ulimits {
		up := member(path+".ulimits", i)
		add(required(up+".name", u.Name != ""), checkEnum(up+".name", u.Name, ulimitNames),
			required(up+".softLimit", u.SoftLimit != nil), required(up+".hardLimit", u.HardLimit != nil))
	}
	if l := c.LogConfiguration; l != nil {
		lp := path + ".logConfiguration"
		add(required(lp+".logDriver", l.LogDriver != ""), checkEnum(lp+".logDriver", l.LogDriver, logDrivers), checkSecrets(lp+".secretOptions", l.SecretOptions))
	}
	if h := c.HealthCheck; h != nil {
		add(required(path+".healthCheck.command", h.Command != nil))
	}
	for i, r := range c.ResourceRequirements {
		rp := member(path+".resourceRequirements", i)
		add(required(rp+".value", r.Value != ""), required(rp+".type", r.Type != ""), checkEnum(rp+".type", r.Type, resourceTypes))
	}
	if f := c.FirelensConfiguration; f != nil {
		fp := path + ".firelensConfiguration.type"
		add(required(fp, f.Type != ""), checkEnum(fp, f.Type, firelensTypes))
	}
	return first(errs...)
}

// checkSecrets checks the required members of a list of secrets.
func checkSecrets(path string, secrets []Secret) *awserr.Error {
	for i, s := range secrets {
		sp := member(path, i)
		if e := first(required(sp+".name", s.Name != ""), required(sp+".valueFrom", s.ValueFrom != "")); e != nil {
			return e
		}
	}
	return nil
}
