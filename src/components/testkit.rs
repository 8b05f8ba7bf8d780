//! A bench for one component, for the kinds' unit tests: the model of a scenario given as
//! text, the `Ctx` its run would have (`Ctx::new`, no `Simulation`), and the one component,
//! driven event by event. Calls it makes to other components are answered by the bench
//! (`answer` after `answer_after`), so a kind's state machine is tested alone: a call
//! arrives, waits or is served, calls out, replies.

#![cfg(test)]

use super::Component;
use crate::engine::calls::{CallId, Op, Outcome, NO_PARENT};
use crate::engine::event::Event;
use crate::engine::Ctx;
use crate::model::{CompId, Model};
use crate::units::Nanos;

/// A reply to one of the bench's requests.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Reply {
    pub call: CallId,
    pub outcome: Outcome,
    pub at: Nanos,
}

pub struct Bench {
    pub model: Model,
    pub ctx: Ctx,
    pub comp: Component,
    pub id: CompId,
    /// How the stand-ins for the other components answer, and after how long.
    pub answer: Outcome,
    pub answer_after: Nanos,
    /// Calls the component made to others, in the order they arrived there.
    pub calls_out: Vec<CallOut>,
    /// Replies to the bench's requests, in the order they reached the user (background
    /// work, such as a write-behind flush, is no user's and has none).
    pub replies: Vec<Reply>,
}

/// A call the component made to another, as it arrived there.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CallOut {
    pub comp: CompId,
    pub op: Op,
    /// The instance a balancer chose (`NO_INSTANCE`: none).
    pub instance: u16,
}

/// A scenario of one minute around `components` (TOML tables), with 1,000 keys drawn
/// uniformly and 100 users, for a bench.
pub fn scenario(components: &str) -> String {
    format!(
        "[scenario]\nname = \"bench\"\nduration = \"1m\"\nseed = 1\n\n[load]\nrate = \"10/s\"\n\n\
         [keys]\ncount = 1000\npopularity = \"uniform\"\n\n[users]\ncount = 100\n\n{components}"
    )
}

/// Milliseconds in nanoseconds.
pub const MS: Nanos = 1_000_000;

impl Bench {
    /// The component `name` of the scenario `toml`, started (its own timers scheduled).
    pub fn new(toml: &str, name: &str) -> Bench {
        let model = crate::load::parse_scenario("bench.toml", toml).unwrap_or_else(|e| panic!("bench scenario: {e}"));
        let id = model.components.iter().position(|c| c.name == name).expect("a component of the scenario");
        let (id, seed) = (id as CompId, model.seed);
        let mut ctx = Ctx::new(&model, seed);
        let mut comp = Component::build(&model, id, seed, &model.components[id as usize].spec);
        comp.start(&mut ctx);
        Bench {
            model,
            ctx,
            comp,
            id,
            answer: Outcome::Ok,
            answer_after: MS,
            calls_out: Vec::new(),
            replies: Vec::new(),
        }
    }

    /// The id of the scenario's component `name`.
    pub fn id_of(&self, name: &str) -> CompId {
        self.model.components.iter().position(|c| c.name == name).expect("a component of the scenario") as CompId
    }

    /// A request (class 0, `key`, user 0) whose root call reaches the component now.
    pub fn request(&mut self, op: Op, key: u64) -> CallId {
        self.request_from(op, key, 0)
    }

    /// A request from `user`.
    pub fn request_from(&mut self, op: Op, key: u64, user: u32) -> CallId {
        self.ctx.test_request(self.id, op, 0, key, user).expect("room in the arenas")
    }

    /// Runs every event due up to `until` (inclusive), then sets the clock there.
    pub fn run_until(&mut self, until: Nanos) {
        while self.ctx.test_peek().is_some_and(|t| t <= until) {
            let (_, event) = self.ctx.test_next().expect("peeked");
            self.dispatch(event);
        }
        self.ctx.now = self.ctx.now.max(until);
    }

    /// Runs until no event is left (the component's periodic timers stop when arrivals
    /// would: at the scenario's duration).
    pub fn run(&mut self) {
        for _ in 0..10_000_000 {
            let Some((_, event)) = self.ctx.test_next() else { return };
            self.dispatch(event);
        }
        panic!("the bench ran ten million events: a component that never settles");
    }

    /// The outcomes of the replies so far, in order.
    pub fn outcomes(&self) -> Vec<Outcome> {
        self.replies.iter().map(|r| r.outcome).collect()
    }

    fn dispatch(&mut self, event: Event) {
        let ctx = &mut self.ctx;
        match event {
            Event::Deliver(id) => {
                let call = *ctx.calls.get(id);
                if call.comp == self.id {
                    ctx.comp_metrics[call.comp as usize].received += 1;
                    self.comp.deliver(ctx, id);
                } else {
                    self.calls_out.push(CallOut { comp: call.comp, op: call.op, instance: call.instance });
                    ctx.reply_after(id, self.answer, self.answer_after);
                }
            }
            Event::Done(id) => self.comp.done(ctx, id),
            Event::Reply(id) => {
                let call = *ctx.calls.get(id);
                let user = !ctx.requests.get(call.req).background;
                if call.parent == NO_PARENT && !call.abandoned && user {
                    self.replies.push(Reply { call: id, outcome: call.outcome, at: ctx.now });
                }
                if let Some(parent) = ctx.test_replied(id) {
                    self.comp.child_replied(ctx, parent, call.outcome);
                    ctx.test_free(id);
                }
            }
            Event::Timeout(id, stamp) => self.abandon(id, stamp, Outcome::TimedOut),
            Event::Deadline(id) => {
                let stamp = ctx.calls.get(id).stamp;
                self.abandon(id, stamp, Outcome::TimedOut)
            }
            Event::Abort(id, stamp) => self.abandon(id, stamp, Outcome::Failed),
            Event::Wake(comp, token) => {
                assert_eq!(comp, self.id, "only the bench's component sets timers");
                self.comp.wake(ctx, token)
            }
            Event::Timer(comp, tag) => {
                assert_eq!(comp, self.id, "only the bench's component sets timers");
                self.comp.timer(ctx, tag)
            }
            Event::Arrival | Event::Think(_) | Event::Fault(..) => {
                unreachable!("the bench sends requests itself and schedules no faults")
            }
        }
    }

    fn abandon(&mut self, id: CallId, stamp: u32, outcome: Outcome) {
        let call = *self.ctx.calls.get(id);
        let live = call.stamp == stamp && !call.abandoned;
        match self.ctx.test_abandon(id, stamp) {
            Some(parent) => self.comp.child_replied(&mut self.ctx, parent, outcome),
            None if live && call.parent == NO_PARENT => {
                self.replies.push(Reply { call: id, outcome, at: self.ctx.now });
            }
            None => {}
        }
    }
}
