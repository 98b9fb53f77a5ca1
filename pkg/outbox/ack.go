package outbox

import (
	"context"

	kerrors "github.com/go-kratos/kratos/v2/errors"

	eventsv1 "github.com/vanguard/vanguard/api/events/v1"
	"github.com/vanguard/vanguard/pkg/apierr"
	"github.com/vanguard/vanguard/pkg/auth"
	"github.com/vanguard/vanguard/pkg/authn"
)

// maxAck bounds one acknowledgement.
const maxAck = 1000

// AckService implements the AckEvents method of a producer's Events gRPC service (embed it
// next to the generated Unimplemented server). Only service credentials reach it (the method is
// a service operation), and a service acknowledges only its own deliveries.
type AckService struct{ Outbox *Outbox }

// AckEvents closes the caller's deliveries of the given events.
func (s AckService) AckEvents(ctx context.Context, req *eventsv1.AckEventsRequest) (*eventsv1.AckEventsReply, error) {
	svc, err := auth.RequireService(ctx)
	if err != nil {
		return nil, apierr.New().Translate(err)
	}
	if req.GetSubscriber() != svc {
		return nil, authn.ErrForbidden("只能确认本服务的事件")
	}
	if n := len(req.GetEventIds()); n == 0 || n > maxAck {
		return nil, kerrors.BadRequest("INVALID_ARGUMENT", "event_ids: 需要 1 到 1000 个事件编号").WithMetadata(map[string]string{"field": "event_ids"})
	}
	n, err := s.Outbox.Ack(ctx, svc, req.GetEventIds())
	if err != nil {
		return nil, kerrors.InternalServer("INTERNAL", "内部错误").WithCause(err)
	}
	return &eventsv1.AckEventsReply{Acknowledged: int32(n)}, nil
}
