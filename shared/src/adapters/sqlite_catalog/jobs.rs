//! Background jobs.

use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

use rusqlite::types::Value;

use super::events;
use super::rows::{db_err, from_json, is_constraint, now_secs, to_i64, to_json};
use super::versioned::VersionedRow;
use crate::domain::{EventId, Job, JobId};
use crate::error::{Error, Result};

fn not_found() -> Error {
    Error::not_found("job_not_found", "no such job")
}

pub(super) fn insert(conn: &mut Connection, job: &Job) -> Result<()> {
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(db_err)?;
    let job = &Job {
        expires_at: events::new_child_expiry(&tx, job.event_id, job.expires_at)?,
        ..job.clone()
    };
    tx.execute(
        "INSERT INTO jobs (event_id, job_id, expires_at, version, body)
         VALUES (?1, ?2, ?3, ?4, ?5)",
        params![
            job.event_id.to_string(),
            job.job_id.to_string(),
            job.expires_at.epoch_secs(),
            to_i64(job.version)?,
            to_json(job)?
        ],
    )
    .map(drop)
    .map_err(|e| {
        if is_constraint(&e) {
            Error::conflict("job_exists", "a job with that id already exists")
        } else {
            db_err(e)
        }
    })?;
    tx.commit().map_err(db_err)
}

pub(super) fn get(conn: &Connection, event_id: EventId, job_id: JobId) -> Result<Job> {
    let body: Option<String> = conn
        .query_row(
            "SELECT body FROM jobs WHERE event_id = ?1 AND job_id = ?2 AND expires_at > ?3",
            params![event_id.to_string(), job_id.to_string(), now_secs()],
            |row| row.get(0),
        )
        .optional()
        .map_err(db_err)?;
    from_json(&body.ok_or_else(not_found)?)
}

pub(super) fn update(conn: &mut Connection, change: &Job) -> Result<Job> {
    let key = [
        ("event_id", change.event_id.to_string()),
        ("job_id", change.job_id.to_string()),
    ];
    let row = VersionedRow {
        table: "jobs",
        key: &key,
        noun: "job",
    };
    row.update_child(conn, change.version, not_found, |version, expires_at| {
        // The expiry is the event's (`update_event` cascades it).
        let job = Job {
            version,
            expires_at,
            ..change.clone()
        };
        let set = vec![
            ("expires_at", Value::Integer(job.expires_at.epoch_secs())),
            ("body", Value::Text(to_json(&job)?)),
        ];
        Ok((job, set))
    })
}
