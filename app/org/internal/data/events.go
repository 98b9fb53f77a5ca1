package data

import (
	"context"
	"fmt"

	"google.golang.org/protobuf/proto"

	v1 "github.com/vanguard/vanguard/api/org/v1"
	"github.com/vanguard/vanguard/app/org/internal/biz"
	"github.com/vanguard/vanguard/pkg/outbox"
)

// OutboxDB is the org database as pkg/outbox reaches it.
func (d *Data) OutboxDB() outbox.DB { return outbox.FromEnt(d.Ent) }

type publisher struct{ o *outbox.Outbox }

// NewPublisher writes org's events to its outbox as api/org/v1/events.proto messages.
func NewPublisher(o *outbox.Outbox) biz.Publisher { return publisher{o} }

func (p publisher) Publish(ctx context.Context, evs ...biz.Event) error {
	msgs := make([]proto.Message, len(evs))
	for i, ev := range evs {
		switch e := ev.(type) {
		case biz.StepRecorded:
			def, _ := biz.StepByCode(e.Step.Code)
			msgs[i] = &v1.DevelopmentStepRecorded{MemberId: e.Step.MemberID, StepId: e.Step.ID, Code: e.Step.Code, No: int32(def.No),
				Seq: int32(e.Step.Seq), Date: e.Step.Date.String(), OrgId: e.Step.OrgID, OrgPath: e.Step.OrgPath,
				MemberOrgPath: e.MemberOrgPath, Overridden: len(e.Step.Overridden) > 0, RecordedAtMs: e.Step.RecordedAt.UnixMilli()}
		case biz.MemberTransferred:
			t := e.Transfer
			msgs[i] = &v1.MemberTransferred{TransferId: t.ID, MemberId: t.MemberID, FromOrgId: t.FromOrgID, FromOrgPath: t.FromPath,
				ToOrgId: t.ToOrgID, ToOrgPath: t.ToPath, AcceptedAtMs: e.At.UnixMilli()}
		default:
			return fmt.Errorf("org publisher: unknown event %T", ev)
		}
	}
	return p.o.Add(ctx, msgs...)
}
