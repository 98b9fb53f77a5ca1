package biz

import (
	"context"
	"time"
)

// Event is an event org announces through its outbox, written in the transaction of the change
// it reports (api/org/v1/events.proto).
type Event interface{ isEvent() }

// StepRecorded: a step of a member's development was recorded.
type StepRecorded struct {
	Step          *DevStep
	MemberOrgPath string
}

// MemberTransferred: a transfer of membership was accepted and the member moved.
type MemberTransferred struct {
	Transfer *Transfer
	At       time.Time
}

func (StepRecorded) isEvent()      {}
func (MemberTransferred) isEvent() {}

// Publisher writes events to the outbox, in the transaction ctx carries.
type Publisher interface {
	Publish(ctx context.Context, evs ...Event) error
}

// noEvents is the publisher of a use case wired without an outbox (unit tests of the engine).
type noEvents struct{}

func (noEvents) Publish(context.Context, ...Event) error { return nil }

// UseEvents makes the use cases announce their changes through pub.
func (uc *Development) UseEvents(pub Publisher) { uc.events = pub }

// UseEvents makes transfers announce the members they move through pub.
func (uc *AccountUsecase) UseEvents(pub Publisher) { uc.events = pub }
