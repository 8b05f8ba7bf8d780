//! What happens on the clock rather than per request: closed-model users thinking between
//! requests.

use super::event::Event;
use super::Simulation;
use crate::traffic::Arrivals;

impl Simulation<'_> {
    /// Schedules what the run starts with besides the first open-model arrival.
    pub(super) fn start_timeline(&mut self) {
        for c in &mut self.comps {
            c.start(&mut self.ctx);
        }
        if let Arrivals::Closed { users, .. } = self.model.load.arrivals {
            // Each user starts after one think time, so they do not all arrive at zero.
            for user in 0..users {
                self.user_done(user);
            }
        }
    }

    /// A closed-model user sends a request, unless arrivals have stopped.
    pub(super) fn on_think(&mut self, user: u32) {
        if self.ctx.now >= self.model.duration {
            return;
        }
        let draw = self.source.draw_for_user(user);
        self.admit(draw);
    }

    /// A closed-model user's request ended: it thinks, then sends the next one.
    pub(super) fn user_done(&mut self, user: u32) {
        let t = self.source.think().max(1);
        // Like open-model arrivals, requests stop at the end of the run: no event after it.
        if self.ctx.now.saturating_add(t) < self.model.duration {
            self.ctx.schedule(t, Event::Think(user));
        }
    }
}
