//! Mail about partnering requests: what a batch of it needs (the requests
//! and the other sides, loaded at once) and building one message.

use std::collections::HashMap;

use super::Worker;
use crate::db::DbConn;
use crate::db::events::EventDetails;
use crate::db::outbox::OutboxRow;
use crate::db::partnering::{self as pdb, Profile, Request};
use crate::db::registrations::{self as rdb, Registration};
use crate::domain::{Language, RegistrationId, RequestId};
use crate::email;
use crate::error::AppError;
use crate::service::partnering::profiles::default_profile;

/// A request and its two sides, as a message about it needs them.
#[derive(Debug, Clone)]
pub(super) struct RequestContext {
    pub request: Request,
    pub sides: HashMap<RegistrationId, (Registration, Profile)>,
}

/// The requests named by `ids`, each with both sides' registrations and
/// profiles (one made from the registration where there is none yet).
pub(super) fn load(
    conn: &mut DbConn,
    ids: &[&RequestId],
) -> Result<HashMap<RequestId, RequestContext>, AppError> {
    let requests = pdb::requests_by_ids(conn, ids)?;
    let mut people: Vec<&RegistrationId> = requests
        .iter()
        .flat_map(|r| [&r.requester_id, &r.recipient_id])
        .collect();
    people.sort_unstable();
    people.dedup();
    let registrations = rdb::find_many(conn, &people)?;
    let mut profiles: HashMap<RegistrationId, Profile> = pdb::profiles_by_ids(conn, &people)?
        .into_iter()
        .map(|p| (p.registration_id.clone(), p))
        .collect();
    let sides: HashMap<RegistrationId, (Registration, Profile)> = registrations
        .into_iter()
        .map(|r| {
            let p = profiles
                .remove(&r.id)
                .unwrap_or_else(|| default_profile(&r));
            (r.id.clone(), (r, p))
        })
        .collect();
    Ok(requests
        .into_iter()
        .map(|request| {
            let sides = [&request.requester_id, &request.recipient_id]
                .into_iter()
                .filter_map(|id| sides.get(id).map(|s| (id.clone(), s.clone())))
                .collect();
            (request.id.clone(), RequestContext { request, sides })
        })
        .collect())
}

impl Worker {
    pub(super) fn partner_message(
        &self,
        row: &OutboxRow,
        to: &Registration,
        event: &EventDetails,
        context: &RequestContext,
    ) -> Result<lettre::Message, String> {
        let other_id = context.request.other(&to.id);
        let (other, other_profile) = context
            .sides
            .get(other_id)
            .ok_or("the other side of the request is gone")?;
        let token = self.keys.registration(&to.id);
        let lang = Language::parse(&to.language).unwrap_or_default();
        let page_url = format!(
            "{}/registrations/{}/partnering?lang={}",
            self.settings.base_url,
            token.expose(),
            lang.as_str()
        );
        let sender = self.sender();
        let mail = email::partnering::RequestMail {
            kind: row.kind,
            to,
            event,
            request: &context.request,
            other_name: &other.name,
            other: other_profile,
            page_url: &page_url,
            message_key: row.id.as_str(),
            host: &self.host,
            sender: &sender,
        };
        let composed = email::partnering::compose(&mail).map_err(|e| format!("composing: {e}"))?;
        email::to_message(&composed, &sender, lang, &to.name, &to.email)
            .map_err(|e| format!("building the message: {e}"))
    }
}
