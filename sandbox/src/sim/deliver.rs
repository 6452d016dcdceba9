//! Notifications delivered as WeChat Pay delivers them: POSTed to the `notify_url`, signed and
//! encrypted; success is a `2xx`, anything else (or no answer in 5 s) is tried again on the
//! platform's schedule.

use std::time::Duration;

use serde::Serialize;
use serde_json::Value;

use super::Simulator;

/// The delays before each attempt after the first (the platform's: 15 s, 15 s, 30 s, 3 min,
/// 10 min, 20 min, 30 min ×3, 60 min, 3 h ×3, 6 h ×2).
pub const SCHEDULE: [u64; 15] = [
    15, 15, 30, 180, 600, 1200, 1800, 1800, 1800, 3600, 10800, 10800, 10800, 21600, 21600,
];

/// How long an attempt waits for the merchant's answer.
pub const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(5);

/// One notification and what became of it.
#[derive(Clone, Debug, PartialEq, Serialize, serde::Deserialize)]
pub struct Delivery {
    /// The notification id.
    pub id: String,
    /// `TRANSACTION.SUCCESS`, ….
    pub event_type: String,
    /// Where it is POSTed.
    pub url: String,
    /// Every attempt so far.
    pub attempts: Vec<Attempt>,
    /// Whether an attempt was answered with success.
    pub delivered: bool,
    /// The second delivery of the same notification (`SimulatorConfig::duplicates`).
    pub duplicate: bool,
}

/// One attempt of a delivery.
#[derive(Clone, Debug, PartialEq, Serialize, serde::Deserialize)]
pub struct Attempt {
    /// When it was sent (the simulator's clock, RFC 3339).
    pub at: String,
    /// The merchant's HTTP status, when it answered.
    pub status: Option<u16>,
    /// Why it failed without an answer (refused, timed out).
    pub error: Option<String>,
}

impl Simulator {
    /// Delivers `event_type` carrying `resource` to `url`, in the background.
    pub(crate) fn deliver(&self, event_type: &str, url: &str, resource: &Value) {
        // A fault asked for the notifications: signed with a key that is not the platform's,
        // or in the other key mode.
        let key = match self.take_fault(&[super::faults::NOTIFICATIONS]).map(|f| f.kind) {
            Some(super::FaultKind::WrongSignature) => {
                crate::mock::ResponseKey::from_pem(self.inner.response_key.serial(), crate::keys::MERCHANT_KEY_PEM)
                    .expect("the merchant's test key")
            }
            Some(super::FaultKind::OtherKeyMode) => super::faults::other_key_mode(&self.inner.response_key),
            _ => self.inner.response_key.clone(),
        };
        let notification = match crate::notify::make_notification(&key, &self.inner.apiv3_key, event_type, resource) {
            Ok(n) => n,
            Err(_) => return,
        };
        let id = serde_json::from_slice::<Value>(&notification.body)
            .ok()
            .and_then(|v| v["id"].as_str().map(str::to_owned))
            .unwrap_or_default();
        self.send_twice_maybe(
            event_type,
            url,
            id,
            notification.body,
            notification.headers,
            |status, _| (200..300).contains(&status),
        );
    }

    /// Delivers an APIv2 notification (`body`, signed XML) to `url`: delivered when answered
    /// `200` with `return_code` `SUCCESS`, as the platform's APIv2 reads the answer.
    pub(crate) fn deliver_v2(&self, event_type: &str, url: &str, body: Vec<u8>) {
        let body = match self.take_fault(&[super::faults::NOTIFICATIONS]).map(|f| f.kind) {
            Some(super::FaultKind::WrongSignature) => {
                crate::v2::missign(crate::mock::Reply::raw(200, "text/xml", body)).body
            }
            _ => body,
        };
        let id = format!("v2-{}", crate::mock::random_nonce());
        let headers = vec![("Content-Type".to_owned(), "text/xml".to_owned())];
        self.send_twice_maybe(event_type, url, id, body, headers, |status, answer| {
            status == 200 && answer.contains("SUCCESS") && !answer.contains("FAIL")
        });
    }

    /// [`send`](Self::send), and once more as a duplicate when the simulator is set so.
    fn send_twice_maybe(
        &self,
        event_type: &str,
        url: &str,
        id: String,
        body: Vec<u8>,
        headers: Vec<(String, String)>,
        delivered: fn(u16, &str) -> bool,
    ) {
        if self.inner.config.duplicates {
            self.send(
                event_type,
                url,
                id.clone(),
                body.clone(),
                headers.clone(),
                delivered,
                true,
            );
        }
        self.send(event_type, url, id, body, headers, delivered, false);
    }

    /// Sends `body` to `url` on the schedule until `delivered` says an answer is success.
    #[allow(clippy::too_many_arguments)]
    fn send(
        &self,
        event_type: &str,
        url: &str,
        id: String,
        body: Vec<u8>,
        headers: Vec<(String, String)>,
        delivered: fn(u16, &str) -> bool,
        duplicate: bool,
    ) {
        let held_back = {
            let mut state = self.state();
            let held_back = match self.inner.config.hold_back {
                Some(hold) if !duplicate => {
                    state.notifications_made += 1;
                    (state.notifications_made % 2 == 1).then_some(hold)
                }
                _ => None,
            };
            state.deliveries.push(Delivery {
                id: id.clone(),
                event_type: event_type.to_owned(),
                url: url.to_owned(),
                attempts: Vec::new(),
                delivered: false,
                duplicate,
            });
            held_back
        };
        let this = self.clone();
        let url = url.to_owned();
        tokio::spawn(async move {
            if let Some(hold) = held_back {
                tokio::time::sleep(hold).await;
            }
            let delays = std::iter::once(0).chain(SCHEDULE);
            for delay in delays {
                let wait = Duration::from_secs_f64(delay as f64 * this.inner.config.schedule_factor);
                tokio::time::sleep(wait).await;
                let mut request = this.inner.http.post(&url).timeout(ATTEMPT_TIMEOUT).body(body.clone());
                for (name, value) in &headers {
                    request = request.header(name.as_str(), value.as_str());
                }
                let (status, error, answer) = match request.send().await {
                    Ok(answer) => {
                        let status = answer.status().as_u16();
                        (Some(status), None, answer.text().await.unwrap_or_default())
                    }
                    Err(e) => (None, Some(e.to_string()), String::new()),
                };
                let at = crate::notify::rfc3339_beijing(this.now());
                let delivered = status.is_some_and(|s| delivered(s, &answer));
                let mut state = this.state();
                let Some(d) = state
                    .deliveries
                    .iter_mut()
                    .find(|d| d.id == id && d.duplicate == duplicate)
                else {
                    return;
                }; // reset meanwhile
                d.attempts.push(Attempt { at, status, error });
                if delivered {
                    d.delivered = true;
                    return;
                }
            }
        });
    }
}
