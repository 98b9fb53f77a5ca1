package service

import (
	v1 "github.com/vanguard/vanguard/api/org/v1"
	"github.com/vanguard/vanguard/app/org/internal/biz"
	"github.com/vanguard/vanguard/pkg/auth"
)

var orgTypeToAPI = map[biz.OrgType]v1.OrgType{
	biz.OrgCommittee: v1.OrgType_COMMITTEE, biz.OrgGeneralBranch: v1.OrgType_GENERAL_BRANCH, biz.OrgBranch: v1.OrgType_BRANCH,
}

func orgTypeFromAPI(t v1.OrgType) biz.OrgType {
	for k, v := range orgTypeToAPI {
		if v == t {
			return k
		}
	}
	return ""
}

func orgToAPI(o *biz.Org) *v1.Org {
	return &v1.Org{
		Id: o.ID, ParentId: o.ParentID, Name: o.Name, Code: o.Code, Type: orgTypeToAPI[o.Type],
		Path: o.Path, Depth: int32(o.Depth), CreatedAt: ts(o.CreatedAt), UpdatedAt: ts(o.UpdatedAt),
		Temporary: o.Temporary, StartsOn: o.StartsOn, EndsOn: o.EndsOn,
	}
}

var roleToAPI = map[string]v1.Role{
	auth.RoleAdmin: v1.Role_ADMIN, auth.RoleStaff: v1.Role_STAFF, auth.RoleTrainer: v1.Role_TRAINER, auth.RoleMember: v1.Role_MEMBER,
}

func rolesFromAPI(rs []v1.Role) []string {
	out := make([]string, 0, len(rs))
	for _, r := range rs {
		for k, v := range roleToAPI {
			if v == r {
				out = append(out, k)
			}
		}
	}
	return out
}

var stageToAPI = map[biz.Stage]v1.DevelopmentStage{
	biz.StageNone: v1.DevelopmentStage_DEVELOPMENT_STAGE_UNSPECIFIED, biz.StageApplicant: v1.DevelopmentStage_APPLICANT,
	biz.StageActivist: v1.DevelopmentStage_ACTIVIST, biz.StageCandidate: v1.DevelopmentStage_CANDIDATE,
	biz.StageProbationary: v1.DevelopmentStage_PROBATIONARY, biz.StageFullMember: v1.DevelopmentStage_FULL_MEMBER,
}

func stageFromAPI(s v1.DevelopmentStage) biz.Stage {
	if s == v1.DevelopmentStage_DEVELOPMENT_STAGE_UNSPECIFIED {
		return ""
	}
	for k, v := range stageToAPI {
		if v == s {
			return k
		}
	}
	return ""
}

func genderToAPI(g string) v1.Gender {
	switch g {
	case "male":
		return v1.Gender_MALE
	case "female":
		return v1.Gender_FEMALE
	}
	return v1.Gender_GENDER_UNSPECIFIED
}

func genderFromAPI(g v1.Gender) string {
	switch g {
	case v1.Gender_MALE:
		return "male"
	case v1.Gender_FEMALE:
		return "female"
	}
	return ""
}

// accountToAPI never includes the national ID number itself: only its mask.
func accountToAPI(a *biz.Account) *v1.Account {
	roles := make([]v1.Role, 0, len(a.Roles))
	for _, r := range a.Roles {
		roles = append(roles, roleToAPI[r])
	}
	status := v1.AccountStatus_ACTIVE
	if a.Status == biz.StatusDisabled {
		status = v1.AccountStatus_DISABLED
	}
	p := a.Profile
	return &v1.Account{
		Id: a.ID, Username: a.Username, Phone: a.Phone, DisplayName: a.DisplayName, Roles: roles,
		OrgId: a.OrgID, OrgPath: a.OrgPath, Status: status, MustChangePassword: a.MustChangePassword,
		Profile: &v1.Profile{
			Gender: genderToAPI(p.Gender), BirthDate: p.BirthDate, Ethnicity: p.Ethnicity, Education: p.Education,
			NationalId: p.NationalIDMask, ApplicationDate: p.ApplicationDate, JoinedDate: p.JoinedDate,
			FullMemberDate: p.FullMemberDate, Stage: stageToAPI[p.Stage],
		},
		CreatedAt: ts(a.CreatedAt), UpdatedAt: ts(a.UpdatedAt),
	}
}

func profileFromAPI(p *v1.ProfileInput) biz.ProfileInput {
	if p == nil {
		return biz.ProfileInput{}
	}
	return biz.ProfileInput{
		Gender: genderFromAPI(p.Gender), BirthDate: p.BirthDate, Ethnicity: p.Ethnicity, Education: p.Education,
		NationalID: p.NationalId, ApplicationDate: p.ApplicationDate, JoinedDate: p.JoinedDate,
		FullMemberDate: p.FullMemberDate, Stage: stageFromAPI(p.Stage),
	}
}
