//! Archive and derivative jobs.

use super::DynamoCatalog;
use super::items::{Item, from_item, job_item, key2, ttl_passed};
use super::schema::attr;
use crate::domain::{EventId, Job, JobId, Timestamp};
use crate::error::{Error, Result};

fn job_not_found() -> Error {
    Error::not_found("job_not_found", "no such job")
}

fn job_key(event_id: EventId, job_id: JobId) -> Item {
    key2(
        attr::EVENT_ID,
        event_id.to_string(),
        attr::JOB_ID,
        job_id.to_string(),
    )
}

impl DynamoCatalog {
    pub(super) async fn insert_job_row(&self, job: &Job) -> Result<()> {
        self.put_new(&self.tables.jobs, job_item(job)?, attr::EVENT_ID, || {
            Error::conflict("job_exists", "a job with that id already exists")
        })
        .await?;
        self.align_new_children(job.event_id, &[job.expires_at.epoch_secs()])
            .await
    }

    pub(super) async fn get_job_row(&self, event_id: EventId, job_id: JobId) -> Result<Job> {
        match self
            .get_item(&self.tables.jobs, job_key(event_id, job_id))
            .await?
        {
            Some(item) if !ttl_passed(&item, Timestamp::now()) => {
                from_item(item, &self.tables.jobs, &format!("{event_id}/{job_id}"))
            }
            _ => Err(job_not_found()),
        }
    }

    pub(super) async fn update_job_row(&self, job: &Job) -> Result<Job> {
        let mut next = job.clone();
        next.version = job.version.saturating_add(1);
        let stored = self
            .put_versioned(
                &self.tables.jobs,
                job_item(&next)?,
                job_key(job.event_id, job.job_id),
                job.version,
                job_not_found,
            )
            .await?;
        from_item(
            stored,
            &self.tables.jobs,
            &format!("{}/{}", job.event_id, job.job_id),
        )
    }
}
