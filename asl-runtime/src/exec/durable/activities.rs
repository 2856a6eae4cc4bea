//! Activities: CreateActivity, DescribeActivity, ListActivities,
//! DeleteActivity, and GetActivityTask, through which workers take the tasks
//! of activity Task states (`arn:…:activity:NAME`). The tasks wait in the
//! store (suspensions naming their activity), so they survive restarts, and
//! any process sharing the store hands them out; two workers never get the
//! same task. A worker answers with SendTaskSuccess, SendTaskFailure and
//! SendTaskHeartbeat, by the task's token.

use super::*;
use crate::store::ActivityRecord;

/// What GetActivityTask hands a worker.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ActivityTask {
    /// What the worker answers with (SendTaskSuccess, ...).
    pub task_token: String,
    /// The task's input, JSON text.
    pub input: String,
}

/// AWS's bound on a worker's name.
const MAX_WORKER_NAME: usize = 80;

fn api_error(name: &str, message: impl Into<String>) -> ApiError {
    ApiError {
        name: name.to_string(),
        message: message.into(),
    }
}

impl Runtime {
    /// The ARN of activity `name` in this runtime's partition, region and account.
    pub fn activity_arn(&self, name: &str) -> String {
        let rt = &self.inner;
        format!(
            "arn:{}:states:{}:{}:activity:{name}",
            rt.partition, rt.region, rt.account
        )
    }

    /// An activity ARN of this runtime's partition, region and account, or
    /// AWS's `InvalidArn`.
    fn check_activity_arn(&self, arn: &str) -> Result<(), ApiError> {
        let ours = arn
            .rsplit_once(":activity:")
            .is_some_and(|(_, name)| self.activity_arn(name) == arn);
        if ours && asl_lang::integrations::is_activity(arn) {
            Ok(())
        } else {
            Err(api_error("InvalidArn", format!("Invalid Arn: '{arn}'")))
        }
    }

    fn activity_does_not_exist(arn: &str) -> ApiError {
        api_error(
            "ActivityDoesNotExist",
            format!("Activity Does Not Exist: '{arn}'"),
        )
    }

    /// CreateActivity: the activity `name` (idempotent: creating one that
    /// exists returns it).
    pub async fn create_activity(&self, name: &str) -> Result<ActivityRecord, ApiError> {
        let durability = self.durability()?;
        let arn = self.activity_arn(name);
        if !asl_lang::integrations::is_activity(&arn) {
            return Err(api_error("InvalidName", format!("Invalid Name: '{name}'")));
        }
        Ok(durability
            .store()
            .create_activity(&arn, name, OffsetDateTime::now_utc())
            .await?)
    }

    /// DescribeActivity.
    pub async fn describe_activity(&self, activity_arn: &str) -> Result<ActivityRecord, ApiError> {
        let durability = self.durability()?;
        self.check_activity_arn(activity_arn)?;
        durability
            .store()
            .activity(activity_arn)
            .await?
            .ok_or_else(|| Self::activity_does_not_exist(activity_arn))
    }

    /// ListActivities, by ARN, a page at a time.
    pub async fn list_activities(
        &self,
        page: &PageRequest,
    ) -> Result<Page<ActivityRecord>, ApiError> {
        let durability = self.durability()?;
        Ok(durability.store().list_activities(page).await?)
    }

    /// DeleteActivity. Its tasks still waiting stay so (until their
    /// execution times out or is stopped), as on AWS.
    pub async fn delete_activity(&self, activity_arn: &str) -> Result<(), ApiError> {
        let durability = self.durability()?;
        self.check_activity_arn(activity_arn)?;
        Ok(durability.store().delete_activity(activity_arn).await?)
    }

    /// GetActivityTask: the oldest task of the activity no worker has
    /// taken, now `worker_name`'s; when none waits, waits for one up to
    /// the runtime's activity poll time (AWS: 60 s), then `None` (AWS
    /// answers an empty `taskToken`).
    pub async fn get_activity_task(
        &self,
        activity_arn: &str,
        worker_name: Option<&str>,
    ) -> Result<Option<ActivityTask>, ApiError> {
        let durability = self.durability()?;
        self.check_activity_arn(activity_arn)?;
        let worker = worker_name.unwrap_or("");
        if worker.chars().count() > MAX_WORKER_NAME {
            return Err(api_error(
                "ValidationException",
                format!(
                    "1 validation error detected: Value at 'workerName' failed to satisfy constraint: Member must have length less than or equal to {MAX_WORKER_NAME}"
                ),
            ));
        }
        let store = durability.store();
        if store.activity(activity_arn).await?.is_none() {
            return Err(Self::activity_does_not_exist(activity_arn));
        }
        let until = tokio::time::Instant::now() + self.inner.activity_poll;
        loop {
            // Registered before looking, so a task stored meanwhile wakes it.
            let scheduled = self.callbacks().activity_scheduled();
            if let Some(task) = store
                .take_activity_task(activity_arn, worker, OffsetDateTime::now_utc())
                .await?
            {
                let input = task
                    .details
                    .get("input")
                    .map(Value::to_string)
                    .unwrap_or_else(|| "{}".to_string());
                return Ok(Some(ActivityTask {
                    task_token: task.token.unwrap_or_default(),
                    input,
                }));
            }
            let now = tokio::time::Instant::now();
            if now >= until {
                return Ok(None);
            }
            // Another process sharing the store may schedule tasks too:
            // look again at least every quarter of a second.
            let next = until.min(now + Duration::from_millis(250));
            tokio::select! {
                () = scheduled => {}
                () = tokio::time::sleep_until(next) => {}
            }
        }
    }
}
