package kit_test

import (
	"context"
	"errors"
	"testing"

	kgrpc "github.com/go-kratos/kratos/v2/transport/grpc"
	khttp "github.com/go-kratos/kratos/v2/transport/http"

	"github.com/vanguard/vanguard/pkg/kit"
	"github.com/vanguard/vanguard/pkg/queue"
)

type recoveringWorker struct {
	recoverErrs          []error // returned by successive Recover calls, then nil
	recovers, reconciles int
}

func (*recoveringWorker) Name() string                      { return "w" }
func (*recoveringWorker) Migrate(context.Context) error     { return nil }
func (*recoveringWorker) Ready(context.Context) error       { return nil }
func (*recoveringWorker) RegisterHTTP(*khttp.Server)        {}
func (*recoveringWorker) RegisterGRPC(*kgrpc.Server)        {}
func (*recoveringWorker) Close() error                      { return nil }
func (*recoveringWorker) Queues() map[string]int            { return map[string]int{"w": 1} }
func (*recoveringWorker) RegisterTasks(*queue.Server)       {}
func (w *recoveringWorker) Reconcile(context.Context) error { w.reconciles++; return nil }
func (w *recoveringWorker) Recover(context.Context) error {
	w.recovers++
	if len(w.recoverErrs) > 0 {
		err := w.recoverErrs[0]
		w.recoverErrs = w.recoverErrs[1:]
		return err
	}
	return nil
}

// The reconciler's pass recovers until recovery has succeeded once, and reconciles every time,
// even while recovery fails.
func TestReconcilePassRecoversOnce(t *testing.T) {
	boom := errors.New("redis down")
	w := &recoveringWorker{recoverErrs: []error{boom}}
	pass := kit.Modules{w}.ReconcilePass()
	if err := pass(context.Background()); !errors.Is(err, boom) {
		t.Fatalf("first pass = %v, want the recovery's error", err)
	}
	for range 3 {
		if err := pass(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if w.recovers != 2 || w.reconciles != 4 {
		t.Fatalf("recovers %d, reconciles %d; want 2 and 4", w.recovers, w.reconciles)
	}
}
