//! Building an archive: the `archive` function works through a job in steps, each saved in
//! the job row before the next starts, so a redelivered message (after a crash, a timeout or
//! a transient failure) picks up where the last delivery stopped and a finished job is left
//! alone.
//!
//! 1. Resolve the selection to ready, granted photos once; write the manifest (names,
//!    sizes, CRC-32s from the photos' metadata); `total` is the number of entries.
//! 2. Photos processed before CRC-32s were recorded get theirs by streaming the original
//!    ([`super::checksums`]); the manifest is re-saved as it goes.
//! 3. Plan the parts from the archive's exact size, start the multipart upload.
//! 4. Write part after part (each cut from the layout, [`super::assemble`]; the next one is
//!    read while the last uploads), saving `parts_done` and `done` after each. A part redone
//!    after a crash has the same bytes.
//! 5. Complete the upload with the parts storage lists, mark the job `done`.
//!
//! A delivery stops before Lambda's deadline (answering [`ArchiveOutcome::Continued`]; the
//! handler sends the job's message again), after at least one step. A permanent problem
//! (nothing to archive, a photo deleted meanwhile, too large) marks the job `failed` with a
//! reason and aborts the upload.

use std::time::{Duration, Instant};

use tracing::{info, instrument, warn};

use super::assemble::{self, Originals};
use super::checksums::{self, Checksums};
use super::deps::ArchiveDeps;
use super::lifetime;
use super::manifest::Manifest;
use super::selection::{self, ArchiveRequest};
use super::zip::{PartPlan, ZipLayout};
use crate::domain::{
    ArchiveProgress, ArchiveUpload, Event, Job, JobFailure, JobKind, JobMessage, JobState,
    Timestamp, keys,
};
use crate::error::{Error, Result, RetryClass};
use crate::ports::{CompletedPart, PartInfo};
use crate::telemetry::metrics::{self, Metric};

/// Time kept back from the deadline when deciding to start another step: more than one
/// part of the largest size (or one checksum of the largest original) plus the row write
/// and the message send.
pub const ARCHIVE_TIME_MARGIN: Duration = Duration::from_secs(30);

/// How an archive job message ended (for logs and tests).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ArchiveOutcome {
    /// The job, its event, or its kind is not ours to do.
    Ignored(&'static str),
    /// It was already finished.
    AlreadyDone(JobState),
    /// Out of time: progress is saved; the job's message must be sent again.
    Continued,
    /// The archive is complete.
    Ready {
        /// Its size in bytes.
        bytes: u64,
    },
    /// The job failed for good, with this code.
    Failed(String),
}

/// Whether a delivery may start another step.
#[derive(Debug)]
pub(super) struct Budget {
    deadline: Option<Instant>,
    worked: bool,
}

impl Budget {
    /// Out of time, once at least one step is done.
    pub(super) fn exhausted(&self) -> bool {
        self.worked
            && self
                .deadline
                .is_some_and(|d| Instant::now() + ARCHIVE_TIME_MARGIN >= d)
    }

    /// A step is done.
    pub(super) fn worked(&mut self) {
        self.worked = true;
    }
}

/// Works through the archive job `message` names; with a `deadline`, only as far as it
/// allows (at least one step).
#[instrument(skip(deps), fields(event_id = %message.event_id, job_id = %message.job_id))]
pub async fn process_archive_job(
    deps: &ArchiveDeps,
    message: &JobMessage,
    deadline: Option<Instant>,
) -> Result<ArchiveOutcome> {
    if message.kind != JobKind::Archive {
        return Ok(ArchiveOutcome::Ignored("not an archive job"));
    }
    let job = match deps.catalog.get_job(message.event_id, message.job_id).await {
        Ok(job) if job.kind == JobKind::Archive => job,
        Ok(_) => return Ok(ArchiveOutcome::Ignored("the row is not an archive job")),
        Err(e) if e.is_not_found() => return Ok(ArchiveOutcome::Ignored("job deleted or expired")),
        Err(e) => return Err(e),
    };
    if matches!(job.state, JobState::Done | JobState::Failed) {
        return Ok(ArchiveOutcome::AlreadyDone(job.state));
    }
    let event = match deps.catalog.get_event(job.event_id).await {
        Ok(event) => event,
        Err(Error::NotFound { .. } | Error::Expired { .. }) => {
            return Ok(ArchiveOutcome::Ignored("event deleted or expired"));
        }
        Err(e) => return Err(e),
    };
    let mut build = Build {
        deps,
        event: &event,
        job,
        budget: Budget {
            deadline,
            worked: false,
        },
    };
    match build.run().await {
        Ok(outcome) => Ok(outcome),
        Err(error) if error.retry_class() == RetryClass::Permanent => build.fail(&error).await,
        Err(error) => Err(error),
    }
}

struct Build<'a> {
    deps: &'a ArchiveDeps,
    event: &'a Event,
    job: Job,
    budget: Budget,
}

impl<'a> Build<'a> {
    fn originals(&self) -> Originals<'a> {
        Originals {
            blobs: self.deps.blobs.as_ref(),
            owner: &self.event.owner_id,
            event: self.event.event_id,
        }
    }

    fn progress(&self) -> ArchiveProgress {
        self.job.archive.clone().unwrap_or_default()
    }

    fn key(&self) -> String {
        keys::archive(self.job.event_id, self.job.job_id)
    }

    async fn run(&mut self) -> Result<ArchiveOutcome> {
        let now = Timestamp::now();
        let request: ArchiveRequest =
            serde_json::from_value(self.job.request.clone()).map_err(|_| {
                Error::invalid("unreadable_request", "the archive request is unreadable")
            })?;
        if lifetime::expires_at(&self.job).has_passed(now) {
            return Err(Error::expired(
                "archive_expired",
                "the archive was not built in time; ask for it again",
            ));
        }
        if self.job.state == JobState::Queued {
            self.job.state = JobState::Running;
            self.save().await?;
        }
        let mut manifest = match self.progress().manifest_key {
            Some(key) => Manifest::load(self.deps.blobs.as_ref(), &key).await?,
            None => self.resolve(&request, now).await?,
        };
        while manifest.missing_checksums() > 0 {
            let missing = manifest.missing_checksums();
            let result = checksums::fill(self.originals(), &mut manifest, &mut self.budget).await;
            // What was computed is kept even when the rest failed or ran out of time.
            if manifest.missing_checksums() < missing {
                self.record_manifest(&manifest).await?;
            }
            if result? == Checksums::OutOfTime {
                return Ok(ArchiveOutcome::Continued);
            }
        }
        let layout = manifest.layout(true)?;
        let plan = PartPlan::for_size(layout.total_bytes())?;
        let mut upload = match self.progress().upload {
            Some(upload) if upload.archive_bytes == plan.total_bytes => upload,
            _ => self.start_upload(&plan).await?,
        };
        let mut restarted = false;
        let originals = self.originals();
        let mut next: Option<(u32, Result<Vec<u8>>)> = None;
        while upload.parts_done < upload.part_count {
            if self.budget.exhausted() {
                info!(
                    parts_done = upload.parts_done,
                    part_count = upload.part_count,
                    "archive continues in a new message"
                );
                return Ok(ArchiveOutcome::Continued);
            }
            let part_number = upload.parts_done + 1;
            let range = plan.range(part_number);
            let body = match next.take() {
                Some((number, body)) if number == part_number => body?,
                _ => assemble::part_bytes(originals, &manifest, &layout, range.clone()).await?,
            };
            // The next part is read while this one uploads, so storage's time (S3's round
            // trip, a local fsync) overlaps the reads: memory is two parts, not one.
            let following = (part_number < upload.part_count).then_some(part_number + 1);
            let read_next = async {
                let number = following?;
                let bytes = assemble::part_bytes(originals, &manifest, &layout, plan.range(number));
                Some((number, bytes.await))
            };
            let key = self.key();
            let upload_this =
                self.deps
                    .blobs
                    .upload_part(&key, &upload.upload_id, part_number, body.into());
            let (uploaded, read) = tokio::join!(upload_this, read_next);
            next = read;
            match uploaded {
                Ok(_) => {}
                Err(e) if e.is_not_found() => {
                    if let Some(done) = self.finished_elsewhere(&plan).await? {
                        return Ok(done);
                    }
                    if std::mem::replace(&mut restarted, true) {
                        return Err(upload_vanished());
                    }
                    upload = self.start_upload(&plan).await?;
                    continue;
                }
                Err(e) => return Err(e),
            }
            upload.parts_done = part_number;
            self.job.done =
                u32::try_from(layout.entries_complete_before(range.end)).unwrap_or(u32::MAX);
            self.set_upload(upload.clone());
            self.save().await?;
            self.budget.worked();
        }
        self.complete(&manifest, &layout, &plan, &upload).await
    }

    /// Step 1: the photos, once, as a manifest named by the row.
    async fn resolve(&mut self, request: &ArchiveRequest, now: Timestamp) -> Result<Manifest> {
        let photos = selection::resolve(
            self.deps.catalog.as_ref(),
            self.deps.blobs.as_ref(),
            self.job.event_id,
            self.job.job_id,
            request,
            now,
        )
        .await?;
        if photos.is_empty() {
            return Err(Error::invalid(
                "nothing_to_archive",
                "none of the selected photos is ready to download",
            ));
        }
        let manifest = Manifest::from_photos(&photos);
        // Sizes alone fix the layout: refuse an archive too large before reading anything.
        PartPlan::for_size(manifest.layout(false)?.total_bytes())?;
        self.job.total = u32::try_from(manifest.entries.len()).unwrap_or(u32::MAX);
        self.job.done = 0;
        self.record_manifest(&manifest).await?;
        info!(
            entries = manifest.entries.len(),
            missing_checksums = manifest.missing_checksums(),
            "archive selection resolved"
        );
        Ok(manifest)
    }

    /// Stores `manifest` under a new key and names it in the row; the old version goes.
    async fn record_manifest(&mut self, manifest: &Manifest) -> Result<()> {
        let blobs = self.deps.blobs.as_ref();
        let key = manifest
            .store(blobs, self.job.event_id, self.job.job_id)
            .await?;
        let mut progress = self.progress();
        let old = progress.manifest_key.replace(key.clone());
        self.job.archive = Some(progress);
        if let Err(e) = self.save().await {
            delete_quietly(blobs, &key).await;
            return Err(e);
        }
        if let Some(old) = old {
            delete_quietly(blobs, &old).await;
        }
        self.budget.worked();
        Ok(())
    }

    /// Step 3: a new multipart upload for `plan`, named by the row.
    async fn start_upload(&mut self, plan: &PartPlan) -> Result<ArchiveUpload> {
        let key = self.key();
        let upload_id = self
            .deps
            .blobs
            .create_multipart(&key, "application/zip")
            .await?;
        let upload = ArchiveUpload {
            upload_id,
            archive_bytes: plan.total_bytes,
            part_bytes: plan.part_bytes,
            part_count: plan.part_count,
            parts_done: 0,
        };
        let previous = self.progress().upload;
        self.set_upload(upload.clone());
        self.job.done = 0;
        if let Err(e) = self.save().await {
            // Another delivery won: its upload is the one named by the row.
            abort_quietly(self.deps, &key, &upload.upload_id).await;
            return Err(e);
        }
        if let Some(previous) = previous {
            abort_quietly(self.deps, &key, &previous.upload_id).await;
        }
        info!(
            archive_bytes = plan.total_bytes,
            part_bytes = plan.part_bytes,
            part_count = plan.part_count,
            "archive upload started"
        );
        Ok(upload)
    }

    fn set_upload(&mut self, upload: ArchiveUpload) {
        let mut progress = self.progress();
        progress.upload = Some(upload);
        self.job.archive = Some(progress);
    }

    /// Step 5: complete with the parts storage lists (re-sending any that are missing or
    /// of the wrong size), then mark the job done.
    async fn complete(
        &mut self,
        manifest: &Manifest,
        layout: &ZipLayout,
        plan: &PartPlan,
        upload: &ArchiveUpload,
    ) -> Result<ArchiveOutcome> {
        let key = self.key();
        let listed = match self.deps.blobs.list_parts(&key, &upload.upload_id).await {
            Ok(listed) => listed,
            Err(e) if e.is_not_found() => return self.vanished_at_completion(plan).await,
            Err(e) => return Err(e),
        };
        let mut parts = Vec::with_capacity(plan.part_count as usize);
        for part_number in 1..=plan.part_count {
            let range = plan.range(part_number);
            let stored = listed
                .iter()
                .find(|p: &&PartInfo| p.part_number == part_number);
            let etag = match stored {
                Some(PartInfo {
                    etag: Some(etag),
                    bytes,
                    ..
                }) if *bytes == range.end - range.start => etag.clone(),
                _ => {
                    warn!(
                        part_number,
                        "archive part missing at completion; writing it again"
                    );
                    let body =
                        assemble::part_bytes(self.originals(), manifest, layout, range).await?;
                    match self
                        .deps
                        .blobs
                        .upload_part(&key, &upload.upload_id, part_number, body.into())
                        .await
                    {
                        Ok(etag) => etag,
                        // A completion racing ours took the parts (and then the upload).
                        Err(e) if e.is_not_found() => {
                            return self.vanished_at_completion(plan).await;
                        }
                        Err(e) => return Err(e),
                    }
                }
            };
            parts.push(CompletedPart { part_number, etag });
        }
        match self
            .deps
            .blobs
            .complete_multipart(&key, &upload.upload_id, &parts)
            .await
        {
            Ok(()) => self.mark_ready(plan).await,
            Err(e) if e.is_not_found() => self.vanished_at_completion(plan).await,
            // A completion racing ours may have taken the parts from under it: if the
            // archive is there, whole, that one won.
            Err(e) if e.retry_class() == RetryClass::Permanent => {
                match self.finished_elsewhere(plan).await? {
                    Some(done) => Ok(done),
                    None => Err(e),
                }
            }
            Err(e) => Err(e),
        }
    }

    async fn vanished_at_completion(&mut self, plan: &PartPlan) -> Result<ArchiveOutcome> {
        match self.finished_elsewhere(plan).await? {
            Some(done) => Ok(done),
            None => Err(upload_vanished()),
        }
    }

    /// The upload is gone: if that is because a delivery completed it, the archive is there
    /// with its exact size and the job only needs marking.
    async fn finished_elsewhere(&mut self, plan: &PartPlan) -> Result<Option<ArchiveOutcome>> {
        match self.deps.blobs.head(&self.key()).await {
            Ok(info) if info.bytes == plan.total_bytes => self.mark_ready(plan).await.map(Some),
            Ok(_) => Ok(None),
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(e),
        }
    }

    async fn mark_ready(&mut self, plan: &PartPlan) -> Result<ArchiveOutcome> {
        let mut progress = self.progress();
        progress.ready_at = Some(Timestamp::now());
        if let Some(upload) = progress.upload.as_mut() {
            upload.parts_done = upload.part_count;
        }
        self.job.archive = Some(progress);
        self.job.state = JobState::Done;
        self.job.done = self.job.total;
        self.job.result_key = Some(self.key());
        self.save().await?;
        info!(
            bytes = plan.total_bytes,
            entries = self.job.total,
            "archive ready"
        );
        metrics::record(&[(Metric::ArchiveBytes, plan.total_bytes)]);
        Ok(ArchiveOutcome::Ready {
            bytes: plan.total_bytes,
        })
    }

    /// Marks the job failed with `error`'s code and message, and aborts its upload.
    async fn fail(&mut self, error: &Error) -> Result<ArchiveOutcome> {
        let mut progress = self.progress();
        if let Some(upload) = &progress.upload {
            abort_quietly(self.deps, &self.key(), &upload.upload_id).await;
        }
        progress.failure = Some(JobFailure {
            code: error.code().to_owned(),
            message: error.public_message(),
        });
        self.job.archive = Some(progress);
        self.job.state = JobState::Failed;
        self.save().await?;
        info!(code = error.code(), "archive failed");
        Ok(ArchiveOutcome::Failed(error.code().to_owned()))
    }

    /// Writes the row conditional on its version. A conflict means another delivery of the
    /// same message is on it: retrying later lets it finish, or resumes after it.
    async fn save(&mut self) -> Result<()> {
        match self.deps.catalog.update_job(&self.job).await {
            Ok(saved) => {
                self.job = saved;
                Ok(())
            }
            Err(e) if e.is_conflict() => Err(Error::Transient {
                message: "the archive job was updated by another delivery".to_owned(),
                source: None,
            }),
            Err(e) => Err(e),
        }
    }
}

fn upload_vanished() -> Error {
    Error::Transient {
        message: "the archive's multipart upload is gone".to_owned(),
        source: None,
    }
}

async fn delete_quietly(blobs: &dyn crate::ports::Blobs, key: &str) {
    if let Err(e) = blobs.delete(key).await {
        warn!(key, error = %e, "could not delete an archive object; the sweep will");
    }
}

async fn abort_quietly(deps: &ArchiveDeps, key: &str, upload_id: &str) {
    if let Err(e) = deps.blobs.abort_multipart(key, upload_id).await {
        warn!(key, error = %e, "could not abort an archive upload; the bucket's lifecycle rule will");
    }
}
