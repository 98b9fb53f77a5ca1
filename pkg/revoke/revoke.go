// Package revoke broadcasts session revocations (see auth.Revocation) from the org service to
// every process that verifies access tokens, so that a password reset, a disabled account or a
// role change takes effect everywhere within seconds instead of when the access token expires.
//
// It is a broadcast, not a queue task (a task reaches one worker of one replica), carried by the
// Redis every process already uses for its task queues:
//
//   - the Broadcaster (org) writes one key per revocation, <ns>:revoked:<user>:<version>, that
//     expires after auth.RevocationTTL, and PUBLISHes the revocation on the channel
//     <ns>:revoked@<db>;
//   - every process runs one Subscriber, which SUBSCRIBEs to the channel and feeds an
//     authn.Revocations list that its Verifier consults on every request. After each
//     (re)subscription it loads every key with SCAN, so a process that starts later, or that
//     lost its connection and missed messages, catches up within seconds; it also reloads
//     periodically.
//
// The org database stays the source of truth: org republishes its recent revocations at start
// and periodically (an embedded Redis starts empty, a publish may fail while Redis is down).
// Applying a revocation twice, or out of order, is harmless: the list keeps the highest version.
package revoke

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-kratos/kratos/v2/log"
	"github.com/go-kratos/kratos/v2/transport"
	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/vanguard/vanguard/pkg/auth"
	"github.com/vanguard/vanguard/pkg/authn"
	"github.com/vanguard/vanguard/pkg/clock"
)

// DefaultNamespace prefixes the keys and the channel when Options.Namespace is empty.
const DefaultNamespace = "vanguard"

// Options tune a Broadcaster or Subscriber; zero values mean the defaults.
type Options struct {
	// Namespace prefixes keys and channel (default DefaultNamespace); tests use their own.
	Namespace string
	// Clock is org's clock for the Broadcaster (revocation times and key lifetimes) and the
	// verifier's clock for the Subscriber (forgetting old revocations). Default: real time.
	Clock  clock.Clock
	Logger log.Logger
	// PingInterval is how often an idle subscription is checked (default 5s); a connection
	// that does not answer within two intervals is replaced.
	PingInterval time.Duration
	// Resync is how often the subscriber reloads every key even without a reconnect
	// (default 30s).
	Resync time.Duration
	// RetryMin and RetryMax bound the backoff between subscription attempts (default 100ms, 3s).
	RetryMin, RetryMax time.Duration
}

func (o Options) withDefaults() Options {
	if o.Namespace == "" {
		o.Namespace = DefaultNamespace
	}
	if o.Clock == nil {
		o.Clock = clock.Real{}
	}
	if o.Logger == nil {
		o.Logger = log.GetLogger()
	}
	if o.PingInterval <= 0 {
		o.PingInterval = 5 * time.Second
	}
	if o.Resync <= 0 {
		o.Resync = 30 * time.Second
	}
	if o.RetryMin <= 0 {
		o.RetryMin = 100 * time.Millisecond
	}
	if o.RetryMax < o.RetryMin {
		o.RetryMax = max(3*time.Second, o.RetryMin)
	}
	return o
}

// names returns the key prefix and the channel. Keys live in the client's database; Redis
// channels are shared by all databases, so the channel names the database too and a test on its
// own database never reaches another process.
func names(rdb redis.UniversalClient, ns string) (keyPrefix, channel string) {
	db := 0
	if c, ok := rdb.(*redis.Client); ok {
		db = c.Options().DB
	}
	return ns + ":revoked:", ns + ":revoked@" + strconv.Itoa(db)
}

// Client returns a Redis client for the connection options of the task queues, so revocations
// travel through the same Redis (embedded in standalone mode). The caller closes it.
func Client(opt asynq.RedisConnOpt) (redis.UniversalClient, error) {
	if opt == nil {
		return nil, errors.New("revoke: no redis connection option")
	}
	c, ok := opt.MakeRedisClient().(redis.UniversalClient)
	if !ok {
		return nil, fmt.Errorf("revoke: unsupported redis connection option %T", opt)
	}
	return c, nil
}

// Broadcaster publishes revocations; the org service holds one.
type Broadcaster struct {
	rdb       redis.UniversalClient
	keyPrefix string
	channel   string
	clock     clock.Clock
	log       *log.Helper
}

// NewBroadcaster returns a broadcaster writing through rdb.
func NewBroadcaster(rdb redis.UniversalClient, o Options) *Broadcaster {
	o = o.withDefaults()
	prefix, channel := names(rdb, o.Namespace)
	return &Broadcaster{rdb: rdb, keyPrefix: prefix, channel: channel, clock: o.Clock,
		log: log.NewHelper(log.With(o.Logger, "module", "revoke"))}
}

// Publish stores each revocation under its own key until every token it covers has expired,
// and announces it on the channel. Revocations already that old are skipped. A failure is
// logged and returned; the org service's periodic republish heals it.
func (b *Broadcaster) Publish(ctx context.Context, revs ...auth.Revocation) error {
	now := b.clock.Now()
	pipe := b.rdb.Pipeline()
	n := 0
	for _, rev := range revs {
		ttl := rev.At.Add(auth.RevocationTTL).Sub(now)
		if ttl < time.Millisecond || rev.UserID <= 0 || rev.Version <= 0 {
			continue
		}
		val, err := json.Marshal(rev)
		if err != nil {
			return fmt.Errorf("revoke: encode: %w", err)
		}
		pipe.Set(ctx, b.key(rev), val, ttl.Round(time.Millisecond))
		pipe.Publish(ctx, b.channel, val)
		n++
	}
	if n == 0 {
		return nil
	}
	if _, err := pipe.Exec(ctx); err != nil {
		b.log.WithContext(ctx).Errorw("msg", "publish revocations failed", "count", n, "error", err)
		return fmt.Errorf("revoke: publish: %w", err)
	}
	return nil
}

func (b *Broadcaster) key(rev auth.Revocation) string {
	return b.keyPrefix + strconv.FormatInt(rev.UserID, 10) + ":" + strconv.FormatInt(rev.Version, 10)
}

// Subscriber keeps a process's revocation list in step with the broadcast. It is a Kratos
// transport server: Start subscribes and loads every stored revocation, then applies each
// published one; it resubscribes and reloads after a lost connection. One per process.
type Subscriber struct {
	rdb       redis.UniversalClient
	list      *authn.Revocations
	keyPrefix string
	channel   string
	o         Options
	log       *log.Helper

	subscribed    atomic.Bool
	subscriptions atomic.Int64

	mu            sync.Mutex
	started       bool
	stopRequested bool
	stopping      chan struct{}
	done          chan struct{}
}

var _ transport.Server = (*Subscriber)(nil)

// NewSubscriber returns a subscriber that reads through rdb and fills list.
func NewSubscriber(rdb redis.UniversalClient, list *authn.Revocations, o Options) *Subscriber {
	o = o.withDefaults()
	prefix, channel := names(rdb, o.Namespace)
	return &Subscriber{
		rdb: rdb, list: list, keyPrefix: prefix, channel: channel, o: o,
		log:      log.NewHelper(log.With(o.Logger, "module", "revoke")),
		stopping: make(chan struct{}),
		done:     make(chan struct{}),
	}
}

// List returns the revocation list the subscriber fills.
func (s *Subscriber) List() *authn.Revocations { return s.list }

// Subscribed reports whether the subscription is currently established.
func (s *Subscriber) Subscribed() bool { return s.subscribed.Load() }

// Subscriptions returns how many times the subscription was established (1 + reconnects).
func (s *Subscriber) Subscriptions() int64 { return s.subscriptions.Load() }

// Load reads every stored revocation into the list (and forgets those too old to matter); it
// reports how many raised a user's version. Start calls it after each (re)subscription; callers
// may call it once before serving so the first requests already see current revocations.
func (s *Subscriber) Load(ctx context.Context) (int, error) {
	var keys []string
	iter := s.rdb.Scan(ctx, 0, s.keyPrefix+"*", 1000).Iterator()
	for iter.Next(ctx) {
		keys = append(keys, iter.Val())
	}
	if err := iter.Err(); err != nil {
		return 0, fmt.Errorf("revoke: scan: %w", err)
	}
	var revs []auth.Revocation
	for len(keys) > 0 {
		batch := keys[:min(len(keys), 1000)]
		keys = keys[len(batch):]
		vals, err := s.rdb.MGet(ctx, batch...).Result()
		if err != nil {
			return 0, fmt.Errorf("revoke: load: %w", err)
		}
		for _, v := range vals {
			if str, ok := v.(string); ok {
				if rev, ok := s.decode(str); ok {
					revs = append(revs, rev)
				}
			}
		}
	}
	n := s.list.Add(revs...)
	s.list.Prune()
	return n, nil
}

func (s *Subscriber) decode(payload string) (auth.Revocation, bool) {
	var rev auth.Revocation
	if err := json.Unmarshal([]byte(payload), &rev); err != nil {
		s.log.Warnw("msg", "ignoring malformed revocation", "error", err)
		return rev, false
	}
	return rev, true
}

// Start subscribes and applies revocations until Stop is called or ctx ends; a lost
// connection is replaced after a short backoff. It returns an error only if started twice.
func (s *Subscriber) Start(ctx context.Context) error {
	s.mu.Lock()
	if s.started {
		s.mu.Unlock()
		return errors.New("revoke: subscriber already started")
	}
	s.started = true
	if s.stopRequested {
		s.mu.Unlock()
		close(s.done)
		return nil
	}
	s.mu.Unlock()
	defer close(s.done)
	backoff := s.o.RetryMin
	for {
		established, err := s.session(ctx)
		s.subscribed.Store(false)
		if s.stopped(ctx) {
			return nil
		}
		if established {
			backoff = s.o.RetryMin
		}
		s.log.Warnw("msg", "revocation subscription lost; resubscribing", "error", err, "retry_in", backoff)
		select {
		case <-s.stopping:
			return nil
		case <-ctx.Done():
			return nil
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, s.o.RetryMax)
	}
}

func (s *Subscriber) stopped(ctx context.Context) bool {
	select {
	case <-s.stopping:
		return true
	default:
		return ctx.Err() != nil
	}
}

// session runs one subscription until its connection fails or the subscriber stops; it reports
// whether the subscription was established.
func (s *Subscriber) session(ctx context.Context) (bool, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	ps := s.rdb.Subscribe(ctx, s.channel)
	// Closing the subscription interrupts a blocked read at once when the subscriber stops.
	ended := make(chan struct{})
	defer close(ended)
	go func() {
		select {
		case <-s.stopping:
		case <-ctx.Done():
		case <-ended:
		}
		_ = ps.Close()
	}()

	msg, err := ps.ReceiveTimeout(ctx, 2*s.o.PingInterval)
	if err != nil {
		return false, err
	}
	if _, ok := msg.(*redis.Subscription); !ok {
		return false, fmt.Errorf("revoke: unexpected %T while subscribing", msg)
	}
	// Load after subscribing: a revocation published in between is seen either way.
	if _, err := s.Load(ctx); err != nil {
		return false, err
	}
	s.subscribed.Store(true)
	s.subscriptions.Add(1)
	s.log.Debugw("msg", "revocations subscribed", "channel", s.channel, "known", s.list.Len())

	lastSeen, lastLoad := time.Now(), time.Now()
	for {
		if time.Since(lastLoad) >= s.o.Resync {
			if _, err := s.Load(ctx); err != nil {
				return true, err
			}
			lastLoad = time.Now()
		}
		msg, err := ps.ReceiveTimeout(ctx, s.o.PingInterval)
		if err != nil {
			if s.stopped(ctx) {
				return true, nil
			}
			if !isTimeout(err) {
				return true, err
			}
			if time.Since(lastSeen) > 2*s.o.PingInterval {
				return true, errors.New("revoke: redis does not answer pings")
			}
			if err := ps.Ping(ctx); err != nil {
				return true, err
			}
			continue
		}
		lastSeen = time.Now()
		switch m := msg.(type) {
		case *redis.Message:
			if rev, ok := s.decode(m.Payload); ok {
				s.list.Add(rev)
			}
		case *redis.Subscription:
			// The client reconnected and resubscribed on its own: messages may have been
			// missed in between.
			if m.Kind == "subscribe" {
				if _, err := s.Load(ctx); err != nil {
					return true, err
				}
				lastLoad = time.Now()
				s.subscriptions.Add(1)
			}
		}
	}
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout() || strings.Contains(err.Error(), "i/o timeout")
}

// Stop ends the subscription and waits for Start to return, or for ctx to end.
func (s *Subscriber) Stop(ctx context.Context) error {
	s.mu.Lock()
	if !s.stopRequested {
		s.stopRequested = true
		close(s.stopping)
	}
	started := s.started
	s.mu.Unlock()
	if !started {
		return nil
	}
	select {
	case <-s.done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("revoke: stop subscriber: %w", ctx.Err())
	}
}

// Listen wires revocation into one process: verifier consults a new list that a new Subscriber
// on rdb fills. It loads the stored revocations once before returning, so the first requests
// already see them (a failure is logged; Start keeps trying). The caller runs the subscriber
// (as a Kratos server, or Start in a goroutine) and stops it.
func Listen(ctx context.Context, rdb redis.UniversalClient, verifier *authn.Verifier, o Options) *Subscriber {
	o = o.withDefaults()
	s := NewSubscriber(rdb, authn.NewRevocations(o.Clock), o)
	verifier.UseRevocations(s.list)
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	if _, err := s.Load(ctx); err != nil {
		s.log.Warnw("msg", "loading revocations failed; the subscriber retries", "error", err)
	}
	return s
}
