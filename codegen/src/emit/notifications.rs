//! `notifications.rs`: the decrypted resources of inbound notifications, typed.

use proc_macro2::TokenStream;
use quote::quote;

use super::features::feature_predicate;
use super::types::Scope;
use super::{ident, Emitter};
use crate::ir::{self, Api, Ty};
use crate::print::{docs, Items};

impl Emitter {
    /// `notifications.rs`: each notification's resource type (an alias of the operation response
    /// it is the same as, or types of its own), and `Resource`, which types a decrypted
    /// notification by its event type and keys.
    pub(super) fn notifications(&self, api: &Api) -> TokenStream {
        let (rt, private) = (&self.rt, &self.private);
        let mut names: Vec<&str> = vec!["Resource"];
        for n in &api.notifications {
            names.push(&n.name);
            if let ir::NotificationResource::Own(types) = &n.resource {
                names.extend(types.iter().map(|t| t.name.as_str()));
            }
        }
        let scope = Scope::of(false, names.into_iter());
        let gate_predicates = |n: &ir::NotificationDef| -> Vec<String> {
            self.groups
                .get(&n.group)
                .map(|f| feature_predicate(f))
                .into_iter()
                .collect()
        };
        let gate_of = |n: &ir::NotificationDef| match self.groups.get(&n.group) {
            Some(f) => quote!(#[cfg(feature = #f)]),
            None => TokenStream::new(),
        };
        let mut items = TokenStream::new();
        let mut variants = TokenStream::new();
        let mut arms = TokenStream::new();
        let mut shapes = TokenStream::new();
        let mut debug_arms = TokenStream::new();
        let mut serialize_arms = TokenStream::new();
        // Notifications that name keys are tried first (more keys first), then the others.
        let mut order: Vec<&ir::NotificationDef> = api.notifications.iter().collect();
        order.sort_by_key(|n| std::cmp::Reverse(n.match_keys.len()));
        // The resources' types (and aliases), before `Resource`.
        let mut defs = Items::new(&self.blocks, 0);
        for n in &api.notifications {
            let gate = gate_of(n);
            let name = ident(&n.name);
            let events: Vec<String> = n.events.iter().map(|e| format!("`{e}`")).collect();
            let mut text = n.summary.clone();
            if let Some(d) = &n.description {
                text.push('\n');
                text.push_str(d);
            }
            text.push_str(&format!("\n\nEvent types: {}", events.join(", ")));
            if !n.match_keys.is_empty() {
                let keys: Vec<String> = n.match_keys.iter().map(|k| format!("`{k}`")).collect();
                text.push_str(&format!(", with {}", keys.join(", ")));
            }
            text.push('.');
            match &n.resource {
                ir::NotificationResource::SameAs { module, ty, operation } => {
                    text.push_str(&format!(" The same type as the response of `{operation}`."));
                    let mut alias = defs.item();
                    alias.doc(&text);
                    alias.cfg(&gate_predicates(n));
                    match ty {
                        Ty::Local(t) => {
                            let module: String = module.iter().map(|m| format!("{m}::")).collect();
                            let root = &self.text.root;
                            alias.raw_line(&format!("pub type {} = {root}::{module}{t};", n.name));
                        }
                        other => alias.line(&format!("pub type {} = {};", n.name, self.ty_text(other, scope))),
                    }
                    defs.push(alias);
                }
                ir::NotificationResource::Own(types) => {
                    for t in types {
                        let mut t = t.clone();
                        // The resource itself (its nested types come before it).
                        if t.name == n.name {
                            t.description = Some(text.clone());
                        }
                        self.withheld_type_def(&mut defs, &t, scope, &gate_predicates(n));
                    }
                }
            }
            let doc = docs(&format!("{}: [`{}`].", n.summary, n.name));
            variants.extend(quote! { #doc #gate #name(::std::boxed::Box<#name>), });
            debug_arms.extend(quote! { #gate Self::#name(_) => f.write_str(concat!("Resource::", stringify!(#name), "(<decrypted, withheld>)")), });
            serialize_arms.extend(quote! { #gate Self::#name(r) => ::serde::Serialize::serialize(&**r, serializer), });
        }
        items.extend(defs.finish());
        for n in order {
            let gate = gate_of(n);
            let name = ident(&n.name);
            let events = &n.events;
            let keys = &n.match_keys;
            arms.extend(quote! {
                #gate
                if #private::notification_matches(event, &[#(#events),*], &[#(#keys),*]) {
                    return #private::notification_resource(event).map(|r| Self::#name(::std::boxed::Box::new(r)));
                }
            });
            shapes.extend(quote! { #gate known.add(&[#(#events),*], &[#(#keys),*]); });
        }
        let doc = docs("The decrypted resource of a notification, typed by its event type (and, where several resources share one, by the keys it has). An event type this client does not know yet comes back as `Other`, the decrypted JSON; a known event type whose resource fits none of its shapes is an error, never `Other`.\n\nIts `Debug` names the variant only: the resource is decrypted personal data (openids, amounts).");
        let decode_doc = docs("Types the decrypted resource of a verified notification ([`Client::handle_notification`](crate::runtime::Client::handle_notification)). A resource that is not the JSON its event type promises is an [`Error::NotificationDecode`](crate::Error::NotificationDecode) naming the field, never the value; one of a known event type without the keys of any of its shapes (a payment's `mchid` and `out_trade_no`) is an [`Error::NotificationUnmatched`](crate::Error::NotificationUnmatched), which [`NotificationAnswer::for_error`](crate::NotificationAnswer::for_error) answers with a failure so that WeChat Pay delivers it again: a payment is never acknowledged by a catch-all arm.");
        items.extend(quote! {
            #doc
            #[derive(Clone, PartialEq)]
            #[non_exhaustive]
            pub enum Resource {
                #variants
                /// Any other event type or shape: the decrypted JSON as is.
                Other(::serde_json::Value),
            }

            impl Resource {
                #decode_doc
                pub fn decode(event: &#rt::NotificationEvent) -> ::core::result::Result<Self, #rt::Error> {
                    #arms
                    #[allow(unused_mut)]
                    let mut known = #private::NotificationShapes::new(event);
                    #shapes
                    known.unmatched()?;
                    ::core::result::Result::Ok(Self::Other(event.resource_json()?))
                }
            }

            /// The resource as JSON again (to forward it, or store it): the typed fields as WeChat
            /// Pay names them, `Other` as received.
            impl ::serde::Serialize for Resource {
                fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> ::core::result::Result<S::Ok, S::Error> {
                    match self {
                        #serialize_arms
                        Self::Other(json) => ::serde::Serialize::serialize(json, serializer),
                    }
                }
            }

            impl ::core::fmt::Debug for Resource {
                fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                    match self {
                        #debug_arms
                        Self::Other(_) => f.write_str("Resource::Other(<decrypted, withheld>)"),
                    }
                }
            }
        });
        items
    }
}
