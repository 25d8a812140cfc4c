package ecs

import (
	"context"
	"encoding/json"
	"net/url"
	"slices"
	"strconv"

	"tide/internal/awserr"
	"tide/internal/edge"
	"tide/internal/store"
)

// Setting is an account setting.
type Setting struct {
	Name         string `json:"name"`
	Value        string `json:"value"`
	PrincipalArn string `json:"principalArn"`
	Type         string `json:"type,omitempty"`
}

// settingDefaults are the values AWS applies when nobody set one.
var settingDefaults = map[string]string{
	"serviceLongArnFormat":            "enabled",
	"taskLongArnFormat":               "enabled",
	"containerInstanceLongArnFormat":  "enabled",
	"awsvpcTrunking":                  "disabled",
	"containerInsights":               "disabled",
	"fargateFIPSMode":                 "disabled",
	"tagResourceAuthorization":        "on",
	"fargateTaskRetirementWaitPeriod": "7",
	"guardDutyActivate":               "off",
	"defaultLogDriverMode":            "non-blocking",
}

func settingNames() []string {
	names := make([]string, 0, len(settingDefaults))
	for n := range settingDefaults {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

func settingKey(principal, name string) string {
	return "settings/" + url.PathEscape(principal) + "/" + name
}

func (a *API) settingOps(ops map[string]edge.Handler) {
	ops["PutAccountSetting"] = edge.Op(a.PutAccountSetting)
	ops["PutAccountSettingDefault"] = edge.Op(a.PutAccountSettingDefault)
	ops["DeleteAccountSetting"] = edge.Op(a.DeleteAccountSetting)
	ops["ListAccountSettings"] = edge.Op(a.ListAccountSettings)
}

// AccountSettingInput is the Put/DeleteAccountSetting(Default) request.
type AccountSettingInput struct {
	Name         *string `json:"name"`
	Value        *string `json:"value"`
	PrincipalArn *string `json:"principalArn"`
}

// AccountSettingOutput is the Put/DeleteAccountSetting(Default) response.
type AccountSettingOutput struct {
	Setting *Setting `json:"setting"`
}

func (a *API) checkSetting(name, value string, needValue bool) error {
	if _, ok := settingDefaults[name]; !ok {
		return awserr.InvalidParameter("1 validation error detected: Value '%s' at 'name' failed to satisfy constraint: Member must satisfy enum value set: %v", name, settingNames())
	}
	if !needValue {
		return nil
	}
	switch name {
	case "fargateTaskRetirementWaitPeriod":
		if value != "0" && value != "7" && value != "14" {
			return awserr.InvalidParameter("fargateTaskRetirementWaitPeriod must be 0, 7 or 14.")
		}
	case "tagResourceAuthorization", "guardDutyActivate":
		if value != "on" && value != "off" {
			return awserr.InvalidParameter("The value for %s must be on or off.", name)
		}
	case "defaultLogDriverMode":
		if value != "blocking" && value != "non-blocking" {
			return awserr.InvalidParameter("The value for defaultLogDriverMode must be blocking or non-blocking.")
		}
	case "containerInsights":
		if value != "enabled" && value != "disabled" && value != "enhanced" {
			return awserr.InvalidParameter("The value for containerInsights must be enabled, disabled or enhanced.")
		}
	default:
		if value != "enabled" && value != "disabled" {
			return awserr.InvalidParameter("The value for %s must be enabled or disabled.", name)
		}
	}
	return nil
}

func (a *API) putSetting(ctx context.Context, principal string, in *AccountSettingInput) (*AccountSettingOutput, error) {
	name, value := deref(in.Name), deref(in.Value)
	if err := a.checkSetting(name, value, true); err != nil {
		return nil, err
	}
	s := &Setting{Name: name, Value: value, PrincipalArn: principal, Type: "user"}
	if _, err := a.store.Commit(ctx, store.Put(settingKey(principal, name), mustJSON(s), store.Any)); err != nil {
		return nil, storeErr(err)
	}
	return &AccountSettingOutput{Setting: s}, nil
}

// PutAccountSetting sets a setting for a principal (the caller by default).
func (a *API) PutAccountSetting(ctx context.Context, in *AccountSettingInput) (*AccountSettingOutput, error) {
	return a.putSetting(ctx, firstNonEmpty(deref(in.PrincipalArn), a.principal()), in)
}

// PutAccountSettingDefault sets the account-wide default of a setting.
func (a *API) PutAccountSettingDefault(ctx context.Context, in *AccountSettingInput) (*AccountSettingOutput, error) {
	return a.putSetting(ctx, a.principal(), in)
}

// DeleteAccountSetting removes a principal's own value of a setting.
func (a *API) DeleteAccountSetting(ctx context.Context, in *AccountSettingInput) (*AccountSettingOutput, error) {
	name := deref(in.Name)
	if err := a.checkSetting(name, "", false); err != nil {
		return nil, err
	}
	principal := firstNonEmpty(deref(in.PrincipalArn), a.principal())
	var s Setting
	_, ok, err := a.getJSON(settingKey(principal, name), &s)
	if err != nil {
		return nil, err
	}
	if !ok {
		s = Setting{Name: name, Value: settingDefaults[name], PrincipalArn: principal, Type: "aws_managed"}
		return &AccountSettingOutput{Setting: &s}, nil
	}
	if _, err := a.store.Commit(ctx, store.Del(settingKey(principal, name), store.Any)); err != nil {
		return nil, storeErr(err)
	}
	return &AccountSettingOutput{Setting: &s}, nil
}

// ListAccountSettingsInput is the ListAccountSettings request.
type ListAccountSettingsInput struct {
	Name              *string `json:"name"`
	Value             *string `json:"value"`
	PrincipalArn      *string `json:"principalArn"`
	EffectiveSettings *bool   `json:"effectiveSettings"`
	NextToken         *string `json:"nextToken"`
	MaxResults        *int32  `json:"maxResults"`
}

// ListAccountSettingsOutput is the ListAccountSettings response.
type ListAccountSettingsOutput struct {
	Settings  []Setting `json:"settings"`
	NextToken *string   `json:"nextToken,omitempty"`
}

// ListAccountSettings lists a principal's settings; with effectiveSettings,
// what applies to it: its own value, else the account default, else AWS's.
func (a *API) ListAccountSettings(ctx context.Context, in *ListAccountSettingsInput) (*ListAccountSettingsOutput, error) {
	if in.Name != nil {
		if err := a.checkSetting(*in.Name, "", false); err != nil {
			return nil, err
		}
	}
	if in.Value != nil && in.Name == nil {
		return nil, awserr.InvalidParameter("Value can only be specified together with Name.")
	}
	principal := firstNonEmpty(deref(in.PrincipalArn), a.principal())
	effective := in.EffectiveSettings != nil && *in.EffectiveSettings
	var all []Setting
	for _, name := range settingNames() {
		if in.Name != nil && *in.Name != name {
			continue
		}
		s, ok := a.lookupSetting(principal, name)
		if !ok && effective {
			if s, ok = a.lookupSetting(a.principal(), name); ok {
				s.PrincipalArn = principal
			} else {
				s, ok = Setting{Name: name, Value: settingDefaults[name], PrincipalArn: principal, Type: "aws_managed"}, true
			}
		}
		if ok && (in.Value == nil || s.Value == *in.Value) {
			all = append(all, s)
		}
	}
	limit, start := int32(10), 0
	if in.MaxResults != nil {
		limit = *in.MaxResults
		if limit < 1 || limit > 10 {
			return nil, awserr.InvalidParameter("maxResults must be between 1 and 10.")
		}
	}
	if t := deref(in.NextToken); t != "" {
		n, err := strconv.Atoi(t)
		if err != nil || n < 0 || n > len(all) {
			return nil, awserr.InvalidParameter("Invalid token %s", t)
		}
		start = n
	}
	end := min(start+int(limit), len(all))
	out := &ListAccountSettingsOutput{Settings: nonNil(all[start:end])}
	if end < len(all) {
		tok := strconv.Itoa(end)
		out.NextToken = &tok
	}
	return out, nil
}

func (a *API) lookupSetting(principal, name string) (Setting, bool) {
	kv, ok := a.store.Get(settingKey(principal, name))
	if !ok {
		return Setting{}, false
	}
	var s Setting
	return s, json.Unmarshal(kv.Value, &s) == nil
}
