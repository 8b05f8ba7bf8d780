//! `kinds!`: from the one table of kinds in `components/mod.rs`, the kinds' modules, the
//! list of names, the three enums (`ComponentInput`, `ComponentSpec`, `Component`), the
//! parser of a `[components.NAME]` table and every match that forwards a call to the kind's
//! implementation of the contract (`kind.rs`). The matches are exhaustive by construction
//! and call the traits by path, so an inherent method of the same name is never taken for
//! the contract's.

macro_rules! kinds {
    ($($variant:ident = $name:literal, $module:ident { $input:ty, $spec:ty, $runtime:ty $(,)? });* $(;)?) => {
        $(pub mod $module;)*

        /// Every kind's name, as `kind = "..."` spells it.
        pub const KINDS: &[&str] = &[$($name),*];

        /// Whether calls to each kind (in `KINDS` order) name an operation.
        const OP_RULES: &[OpRule] = &[$(<$spec as KindSpec>::OP_RULE),*];

        /// The name of each kind's one node (in `KINDS` order).
        const NODE_NAMES: &[&str] = &[$(<$spec as KindSpec>::NODE_NAME),*];

        /// A `[components.NAME]` table as read.
        pub enum ComponentInput {
            $($variant($input)),*
        }

        /// A validated component.
        #[derive(Clone, Debug)]
        pub enum ComponentSpec {
            $($variant($spec)),*
        }

        /// A running component.
        pub enum Component {
            $($variant($runtime)),*
        }

        /// Deserializes one `[components.NAME]` table once its `kind` is known, keeping spans.
        pub fn parse_component<'de, D: serde::Deserializer<'de>>(
            kind: &str,
            d: D,
        ) -> Result<ComponentInput, D::Error> {
            Ok(match kind {
                $($name => ComponentInput::$variant(serde::Deserialize::deserialize(d)?),)*
                other => return Err(serde::de::Error::custom(format!("unknown component kind `{other}`"))),
            })
        }

        /// Each kind's name and the JSON Schema of its input (a reference into the generator's
        /// definitions), in `KINDS` order; `schema` builds the tagged union of components from it.
        pub fn input_schemas(g: &mut schemars::SchemaGenerator) -> Vec<(&'static str, schemars::Schema)> {
            vec![$(($name, g.subschema_for::<$input>())),*]
        }

        /// Every kind's docs, in `KINDS` order.
        pub fn kind_docs() -> Vec<(&'static str, &'static KindDocs)> {
            vec![$(($name, &$module::DOCS)),*]
        }

        impl ComponentInput {
            pub fn kind_name(&self) -> &'static str {
                match self {
                    $(ComponentInput::$variant(_) => $name,)*
                }
            }

            /// The primary of a read replica in another region (`replica_of`), which takes no writes.
            pub fn replica_of(&self) -> Option<String> {
                match self {
                    $(ComponentInput::$variant(i) => KindInput::replica_of(i),)*
                }
            }

            pub fn validate(&self, name: &str, r: &mut crate::validate::Resolver) -> Option<(ComponentSpec, crate::model::Cost)> {
                match self {
                    $(ComponentInput::$variant(i) => {
                        KindInput::validate(i, name, r).map(|(s, c)| (ComponentSpec::$variant(s), c))
                    })*
                }
            }
        }

        impl ComponentSpec {
            pub fn kind_name(&self) -> &'static str {
                match self {
                    $(ComponentSpec::$variant(_) => $name,)*
                }
            }

            /// The key under which it names the components it calls (`None`: it calls none).
            pub fn calls_key(&self) -> Option<&'static str> {
                match self {
                    $(ComponentSpec::$variant(_) => <$spec as KindSpec>::CALLS_KEY,)*
                }
            }
        }

        kinds!(@spec [$($variant),*]
            downstream() -> Vec<crate::model::CompId>;
            forwards(class: usize) -> Vec<(crate::model::CompId, crate::engine::calls::Op, f64)>;
            mean_work_s(op: crate::engine::calls::Op) -> f64;
            servers_and_mean_work_s() -> (u32, f64);
            needs_keys() -> bool;
            needs_users() -> bool;
            everywhere() -> bool;
            bills_own_egress() -> bool;
            moves_call_bytes() -> bool;
            user_link_ns(user_region: u8, id: crate::model::CompId, placement: &crate::model::Placement) -> Nanos;
            placement_problem(users_named: bool) -> Option<(&'static str, &'static str, &'static str)>;
            instances() -> u32;
            max_instances() -> u32;
            sessions_in_memory() -> bool;
            accepts_fault(f: &crate::faults::FaultKind) -> bool;
            fault_refusal(name: &str, f: &crate::faults::FaultKind) -> Option<String>;
            certain_next() -> Vec<crate::model::CompId>;
            explain_route(class: usize, op: crate::engine::calls::Op, hit: Option<f64>) -> Vec<(crate::model::CompId, crate::engine::calls::Op, f64)>;
            misses_to() -> Option<crate::model::CompId>;
            explain_response(l: &mut dyn kind::Estimator, c: crate::model::CompId, op: crate::engine::calls::Op) -> f64;
        );

        impl ComponentSpec {
            pub fn plans(&self) -> Option<&[crate::calls_model::Plan]> {
                match self {
                    $(ComponentSpec::$variant(s) => KindSpec::plans(s),)*
                }
            }

            pub fn check_scale(&self, name: &str, keys: u64, users: u64, r: &mut crate::validate::Resolver) {
                match self {
                    $(ComponentSpec::$variant(s) => KindSpec::check_scale(s, name, keys, users, r),)*
                }
            }

            pub fn explain_estimate(
                &self,
                l: &mut dyn kind::Estimator,
                c: crate::model::CompId,
                b: &mut kind::Busiest,
            ) {
                match self {
                    $(ComponentSpec::$variant(s) => KindSpec::explain_estimate(s, l, c, b),)*
                }
            }

            pub fn routes_around(&self) -> &[crate::model::CompId] {
                match self {
                    $(ComponentSpec::$variant(s) => KindSpec::routes_around(s),)*
                }
            }
        }

        impl Component {
            pub fn build(model: &crate::model::Model, id: crate::model::CompId, seed: u64, spec: &ComponentSpec) -> Component {
                match spec {
                    $(ComponentSpec::$variant(s) => Component::$variant(From::from(KindSpec::build(s, model, id, seed))),)*
                }
            }

            #[inline]
            pub fn deliver(&mut self, ctx: &mut crate::engine::Ctx, id: crate::engine::calls::CallId) {
                match self {
                    $(Component::$variant(c) => Kind::deliver(c, ctx, id),)*
                }
            }

            #[inline]
            pub fn done(&mut self, ctx: &mut crate::engine::Ctx, id: crate::engine::calls::CallId) {
                match self {
                    $(Component::$variant(c) => Kind::done(c, ctx, id),)*
                }
            }

            #[inline]
            pub fn child_replied(
                &mut self,
                ctx: &mut crate::engine::Ctx,
                id: crate::engine::calls::CallId,
                outcome: crate::engine::calls::Outcome,
            ) {
                match self {
                    $(Component::$variant(c) => Kind::child_replied(c, ctx, id, outcome),)*
                }
            }

            pub fn wake(&mut self, ctx: &mut crate::engine::Ctx, token: u32) {
                match self {
                    $(Component::$variant(c) => Kind::wake(c, ctx, token),)*
                }
            }

            pub fn start(&mut self, ctx: &mut crate::engine::Ctx) {
                match self {
                    $(Component::$variant(c) => Kind::start(c, ctx),)*
                }
            }

            pub fn fault(&mut self, ctx: &mut crate::engine::Ctx, id: u16, fault: &crate::faults::FaultSpec, start: bool) {
                match self {
                    $(Component::$variant(c) => Kind::fault(c, ctx, id, fault, start),)*
                }
            }

            pub fn timer(&mut self, ctx: &mut crate::engine::Ctx, tag: u32) {
                match self {
                    $(Component::$variant(c) => Kind::timer(c, ctx, tag),)*
                }
            }

            pub fn series(&mut self, now: Nanos, width: Nanos, out: &mut Vec<(&'static str, f64)>) {
                match self {
                    $(Component::$variant(c) => Kind::series(c, now, width, out),)*
                }
            }

            pub fn totals(&mut self, now: Nanos) -> crate::engine::windows::Totals {
                match self {
                    $(Component::$variant(c) => Kind::totals(c, now),)*
                }
            }

            pub fn sync(&mut self, now: Nanos) {
                match self {
                    $(Component::$variant(c) => Kind::sync(c, now),)*
                }
            }

            pub fn reset_stats(&mut self, now: Nanos) {
                match self {
                    $(Component::$variant(c) => Kind::reset_stats(c, now),)*
                }
            }

            pub fn settle(&self, s: &mut KindStats) {
                match self {
                    $(Component::$variant(c) => Kind::settle(c, s),)*
                }
            }

            pub fn stats(&self, elapsed: Nanos) -> KindStats {
                match self {
                    $(Component::$variant(c) => Kind::stats(c, elapsed),)*
                }
            }
        }
    };

    // `ComponentSpec` methods that take `&self` and forward to `KindSpec` unchanged.
    (@spec $variants:tt $($method:ident($($arg:ident: $ty:ty),*) -> $ret:ty;)*) => {
        impl ComponentSpec {
            $(kinds!(@one $variants $method($($arg: $ty),*) -> $ret);)*
        }
    };
    (@one $variants:tt $method:ident($($arg:ident: $ty:ty),*) -> $ret:ty) => {
        pub fn $method(&self, $($arg: $ty),*) -> $ret {
            kinds!(@match self $variants $method ($($arg),*))
        }
    };
    (@match $self:ident [$($variant:ident),*] $method:ident $args:tt) => {
        match $self {
            $(ComponentSpec::$variant(s) => kinds!(@call s $method $args),)*
        }
    };
    (@call $s:ident $method:ident ($($arg:ident),*)) => {
        KindSpec::$method($s, $($arg),*)
    };
}

/// Whether calls to the kind named `kind` (one of `KINDS`) name an operation.
pub fn op_rule(kind: &str) -> super::OpRule {
    super::OP_RULES[kind_index(kind)]
}

/// The name of the one node of a kind (one of `KINDS`) that is not made of several.
pub fn node_name(kind: &str) -> &'static str {
    super::NODE_NAMES[kind_index(kind)]
}

fn kind_index(kind: &str) -> usize {
    super::KINDS.iter().position(|k| *k == kind).expect("a kind's name comes from `KINDS`")
}
