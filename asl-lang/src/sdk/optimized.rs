//! Step Functions' optimized integrations served by the generic SDK caller:
//! `arn:aws:states:::athena:startQueryExecution.sync` is AWS's
//! `StartQueryExecution` (Athena's model, the same field names as
//! `aws-sdk:athena:startQueryExecution`), plus what each integration's page
//! in AWS's developer guide adds: the patterns it has, how `.sync` waits
//! (the action it polls, the state that ends it, what it returns) and any
//! change to the request or result (Bedrock's `Body` is JSON both ways;
//! EMR's integrations rename and wrap fields and look ids up by name,
//! declared as a [`Reshape`]).
//!
//! Sources: "Run Athena queries with Step Functions", "Start an AWS Glue job
//! with Step Functions", "Run AWS Batch workloads with Step Functions", "Run
//! Amazon ECS or Fargate tasks with Step Functions", "Invoke and customize
//! Amazon Bedrock models with Step Functions", "Manage AWS CodeBuild builds
//! with Step Functions", "Create and manage Amazon SageMaker AI jobs with
//! Step Functions", "Create and manage Amazon EMR clusters with Step
//! Functions", "Create and manage Amazon EMR Serverless applications with
//! Step Functions", EMR on EKS's page (`connect-emr-eks`), "Manage AWS Glue
//! DataBrew jobs with Step Functions", "Create an AWS Elemental
//! MediaConvert job with Step Functions".
//!
//! ```
//! use asl_lang::sdk::optimized::{self, Pattern};
//! let (athena, pattern) = optimized::optimized("arn:aws:states:::athena:startQueryExecution.sync").unwrap();
//! assert_eq!((athena.service, athena.action, pattern), ("athena", "startQueryExecution", Pattern::Sync));
//! assert!(optimized::optimized("arn:aws:states:::athena:getQueryResults.sync").is_none());
//! ```

pub use crate::integrations::Pattern;

/// One optimized integration.
#[derive(Debug)]
pub struct Optimized {
    /// `service:action` as after `arn:<partition>:states:::`.
    pub name: &'static str,
    /// The service in AWS's models, as an `aws-sdk:` ARN names it.
    pub service: &'static str,
    /// The model's action, as an `aws-sdk:` ARN names it.
    pub action: &'static str,
    pub patterns: &'static [Pattern],
    /// Bedrock: `Body` is any JSON in the request (sent as its text) and the
    /// result's `Body` is the model's answer parsed as JSON.
    pub json_body: bool,
    /// Request fields the integration's page adds that asl does not serve
    /// yet (a compile-time refusal, `asl::unsupported`).
    pub unserved_fields: &'static [&'static str],
    /// Request fields the page says are copied into the result (Glue: "The
    /// `JobName` field is extracted from the request and inserted into the
    /// response, which normally only contains `JobRunID`").
    pub echoed: &'static [&'static str],
    /// `(field, error)`: a non-empty list at `field` of the call's answer
    /// fails a `.sync` or `.waitForTaskToken` task with `error`, and is
    /// returned as it is in request-response (ECS: "If a non-empty
    /// `Failures` field is encountered, the task is failed with an
    /// `AmazonECS.Unknown` error").
    pub failures: Option<(&'static str, &'static str)>,
    /// How `.sync` waits.
    pub sync: Option<SyncRule>,
    /// How the integration's request and result differ from the action's
    /// (EMR's `ClusterId` for `JobFlowId`): the compiler checks Parameters
    /// against the integration's fields, the runtime turns them into the
    /// action's.
    pub reshape: Reshape,
}

/// A field the integration names differently from the action: `field` in
/// the integration's request (or result) is the action's `action_field`.
#[derive(Debug)]
pub struct Renamed {
    /// As the integration's page names it (`ClusterId`, `Step`).
    pub field: &'static str,
    /// As AWS's model names it (`JobFlowIds`, `Steps`).
    pub action_field: &'static str,
    /// The action's field is a list: the integration's value is its only
    /// item in a request (`Steps: [Step]`), its first in a result
    /// (`StepIds[0]` is `StepId`).
    pub list: bool,
}

impl Renamed {
    /// `field` is the action's `action_field`.
    pub const fn same(field: &'static str, action_field: &'static str) -> Self {
        Renamed {
            field,
            action_field,
            list: false,
        }
    }

    /// `field` is the one item of the action's list `action_field`.
    pub const fn one_of(field: &'static str, action_field: &'static str) -> Self {
        Renamed {
            field,
            action_field,
            list: true,
        }
    }
}

/// How an integration's request and result differ from its action's, as
/// its page says. Paths name fields as the integration does, joined by `.`
/// (`Instances.KeepJobFlowAliveWhenNoSteps`).
#[derive(Debug)]
pub struct Reshape {
    /// Top-level request fields sent under the action's name.
    pub request: &'static [Renamed],
    /// Top-level result fields returned under the integration's name.
    pub result: &'static [Renamed],
    /// Required request fields the action does not have, `(field, shape of
    /// the model that types it)`: read by [`Reshape::lookup`], not sent.
    pub added: &'static [(&'static str, &'static str)],
    /// Fields the integration does not take (createCluster's `Steps`).
    pub refused: &'static [&'static str],
    /// Fields required with the value `true` (createCluster's
    /// `Instances.KeepJobFlowAliveWhenNoSteps`).
    pub must_be_true: &'static [&'static str],
    /// A value the runtime looks up before the call.
    pub lookup: Option<Lookup>,
    /// Text the integration sets at these paths of the request
    /// (MediaConvert's tag `ManagedByService: AWSStepFunctions`).
    pub sets: &'static [(&'static str, &'static str)],
}

/// No difference: the action's own request and result.
pub const SAME_AS_ACTION: Reshape = Reshape {
    request: &[],
    result: &[],
    added: &[],
    refused: &[],
    must_be_true: &[],
    lookup: None,
    sets: &[],
};

/// A value looked up by name before the call (EMR's `*ByName`: "the
/// `InstanceGroupId` is determined automatically by the service integration
/// by calling `ListInstanceGroups` and parsing the result"): call
/// [`Lookup::action`] with [`Lookup::request`] (sources as in
/// [`SyncRule::request`], page after page by [`Lookup::marker`]), find the item of
/// [`Lookup::list`] whose [`Lookup::key`] is the request's [`Lookup::by`],
/// and set its [`Lookup::id`] at [`Lookup::into`] in the request.
#[derive(Debug)]
pub struct Lookup {
    pub action: &'static str,
    pub request: &'static [(&'static str, &'static str)],
    pub list: &'static str,
    pub key: &'static str,
    /// The request field holding the name (one of [`Reshape::added`]).
    pub by: &'static str,
    pub id: &'static str,
    /// Where the id goes, a path of the integration's request.
    pub into: &'static str,
    /// The field of an answer that asks for the next page, sent back in
    /// the next request under the same name.
    pub marker: &'static str,
}

/// How a `.sync` task waits for its job: it calls [`SyncRule::poll`] with
/// [`SyncRule::request`] until the value at [`SyncRule::status`] is one of
/// [`SyncRule::succeeded`] (the result is [`SyncRule::output`]) or of
/// [`SyncRule::failed`] (`States.TaskFailed`, the answer as its cause).
#[derive(Debug)]
pub struct SyncRule {
    /// The action polled (`getQueryExecution`).
    pub poll: &'static str,
    /// The poll's fields: `(field, source)`, the source `request.Path` (the
    /// task's Parameters) or `result.Path` (the first call's result), a
    /// path of field names and list indexes; `[]` after it wraps the value
    /// in a list (`Jobs: [JobId]`).
    pub request: &'static [(&'static str, &'static str)],
    /// Where the poll's answer says the job's state, as a path.
    pub status: &'static str,
    pub succeeded: &'static [&'static str],
    pub failed: &'static [&'static str],
    /// What `.sync` returns.
    pub output: SyncOutput,
}

/// What a `.sync` task returns once its job succeeded.
#[derive(Debug)]
pub enum SyncOutput {
    /// The last poll's answer at `path` (`""`: all of it), in the field
    /// `wrap` if any (CodeBuild's `.sync` returns `{"Build": ...}`, as
    /// `StartBuild` itself does).
    Polled {
        path: &'static str,
        wrap: Option<&'static str>,
    },
    /// The first call's result, as the integration returns it (EMR:
    /// createCluster.sync's result has the `ClusterId`, which AWS's own
    /// samples read from it).
    Started,
}

/// The last poll's answer at `path`.
const fn polled(path: &'static str) -> SyncOutput {
    SyncOutput::Polled { path, wrap: None }
}

const RR_SYNC: &[Pattern] = &[
    Pattern::RequestResponse,
    Pattern::Sync,
    Pattern::WaitForTaskToken,
];
const RR: &[Pattern] = &[Pattern::RequestResponse];
/// Request-response and `.sync`, no callback (CodeBuild, SageMaker).
const RR_ONLY_SYNC: &[Pattern] = &[Pattern::RequestResponse, Pattern::Sync];

/// A CodeBuild action that starts a build batch (`startBuildBatch`,
/// `retryBuildBatch`): `.sync` polls `BatchGetBuildBatches`.
const fn codebuild_batch(name: &'static str, action: &'static str) -> Optimized {
    codebuild(
        name,
        action,
        "batchGetBuildBatches",
        &[("Ids", "result.BuildBatch.Id[]")],
        "BuildBatches.0.BuildBatchStatus",
        "BuildBatches.0",
        "BuildBatch",
    )
}

/// A SageMaker `Create<Kind>Job` whose `.sync` waits on `Describe<Kind>Job`
/// (by the job's name from the request) until `<Kind>JobStatus` is
/// `Completed`, and returns that answer.
const fn sagemaker_job(
    name: &'static str,
    action: &'static str,
    poll: &'static str,
    request: &'static [(&'static str, &'static str)],
    status: &'static str,
) -> Optimized {
    Optimized {
        patterns: RR_ONLY_SYNC,
        sync: Some(SyncRule {
            poll,
            request,
            status,
            succeeded: &["Completed"],
            failed: &["Failed", "Stopped"],
            output: polled(""),
        }),
        ..plain(name, "sagemaker", action)
    }
}

/// A CodeBuild action whose `.sync` waits on `poll` (`Ids: [<the id the
/// first answer gives>]`) until the status at `status` is `SUCCEEDED`, and
/// returns the build (or batch) in the field `wrap`.
const fn codebuild(
    name: &'static str,
    action: &'static str,
    poll: &'static str,
    request: &'static [(&'static str, &'static str)],
    status: &'static str,
    output: &'static str,
    wrap: &'static str,
) -> Optimized {
    Optimized {
        patterns: RR_ONLY_SYNC,
        sync: Some(SyncRule {
            poll,
            request,
            status,
            succeeded: &["SUCCEEDED"],
            failed: &["FAILED", "FAULT", "TIMED_OUT", "STOPPED"],
            output: SyncOutput::Polled {
                path: output,
                wrap: Some(wrap),
            },
        }),
        ..plain(name, "codebuild", action)
    }
}

/// An EMR Serverless action whose `.sync` waits on `poll` until the state
/// at `status` is `succeeded`; unconfirmed (the page does not say): the
/// states that fail the wait, and that `.sync` returns the first answer.
const fn emr_serverless(
    name: &'static str,
    action: &'static str,
    poll: &'static str,
    request: &'static [(&'static str, &'static str)],
    status: &'static str,
    succeeded: &'static [&'static str],
    failed: &'static [&'static str],
) -> Optimized {
    Optimized {
        patterns: RR_ONLY_SYNC,
        sync: Some(SyncRule {
            poll,
            request,
            status,
            succeeded,
            failed,
            output: SyncOutput::Started,
        }),
        ..plain(name, "emrserverless", action)
    }
}

/// An EMR Serverless action on an application: `.sync` waits on
/// GetApplication until the application is `succeeded`.
const fn emr_serverless_application(
    name: &'static str,
    action: &'static str,
    request: &'static [(&'static str, &'static str)],
    succeeded: &'static [&'static str],
    failed: &'static [&'static str],
) -> Optimized {
    emr_serverless(
        name,
        action,
        "getApplication",
        request,
        "Application.State",
        succeeded,
        failed,
    )
}

const fn plain(name: &'static str, service: &'static str, action: &'static str) -> Optimized {
    Optimized {
        name,
        service,
        action,
        patterns: RR,
        json_body: false,
        unserved_fields: &[],
        echoed: &[],
        failures: None,
        sync: None,
        reshape: SAME_AS_ACTION,
    }
}

/// Where DescribeCluster's answer says the cluster's state.
const EMR_CLUSTER_STATE: &str = "Cluster.Status.State";

/// Every optimized integration the generic caller serves.
pub const OPTIMIZED: &[Optimized] = &[
    // Athena: StartQueryExecution (.sync waits for SUCCEEDED, and returns
    // GetQueryExecution's answer), StopQueryExecution, GetQueryExecution,
    // GetQueryResults.
    Optimized {
        name: "athena:startQueryExecution",
        service: "athena",
        action: "startQueryExecution",
        patterns: &[Pattern::RequestResponse, Pattern::Sync],
        json_body: false,
        unserved_fields: &[],
        echoed: &[],
        failures: None,
        sync: Some(SyncRule {
            poll: "getQueryExecution",
            request: &[("QueryExecutionId", "result.QueryExecutionId")],
            status: "QueryExecution.Status.State",
            succeeded: &["SUCCEEDED"],
            failed: &["FAILED", "CANCELLED"],
            output: polled(""),
        }),
        reshape: SAME_AS_ACTION,
    },
    Optimized {
        patterns: &[Pattern::RequestResponse, Pattern::Sync],
        ..plain("athena:stopQueryExecution", "athena", "stopQueryExecution")
    },
    plain("athena:getQueryExecution", "athena", "getQueryExecution"),
    plain("athena:getQueryResults", "athena", "getQueryResults"),
    // Glue: StartJobRun; .sync waits for the run to end and returns it.
    Optimized {
        name: "glue:startJobRun",
        service: "glue",
        action: "startJobRun",
        patterns: RR_SYNC,
        json_body: false,
        unserved_fields: &[],
        echoed: &["JobName"],
        failures: None,
        sync: Some(SyncRule {
            poll: "getJobRun",
            request: &[("JobName", "request.JobName"), ("RunId", "result.JobRunId")],
            status: "JobRun.JobRunState",
            succeeded: &["SUCCEEDED"],
            failed: &["FAILED", "ERROR", "TIMEOUT", "STOPPED"],
            output: polled("JobRun"),
        }),
        reshape: SAME_AS_ACTION,
    },
    // Batch: SubmitJob; .sync waits for SUCCEEDED and returns the job.
    Optimized {
        name: "batch:submitJob",
        service: "batch",
        action: "submitJob",
        patterns: RR_SYNC,
        json_body: false,
        unserved_fields: &[],
        echoed: &[],
        failures: None,
        sync: Some(SyncRule {
            poll: "describeJobs",
            request: &[("Jobs", "result.JobId[]")],
            status: "Jobs.0.Status",
            succeeded: &["SUCCEEDED"],
            failed: &["FAILED"],
            output: polled("Jobs.0"),
        }),
        reshape: SAME_AS_ACTION,
    },
    // ECS/Fargate: RunTask; .sync waits for the task to stop and returns it.
    Optimized {
        name: "ecs:runTask",
        service: "ecs",
        action: "runTask",
        patterns: RR_SYNC,
        json_body: false,
        unserved_fields: &[],
        echoed: &[],
        failures: Some(("Failures", "AmazonECS.Unknown")),
        sync: Some(SyncRule {
            poll: "describeTasks",
            request: &[
                ("Cluster", "request.Cluster"),
                ("Tasks", "result.Tasks.0.TaskArn[]"),
            ],
            status: "Tasks.0.LastStatus",
            succeeded: &["STOPPED"],
            failed: &[],
            output: polled("Tasks.0"),
        }),
        reshape: SAME_AS_ACTION,
    },
    // CodeBuild: StartBuild, StartBuildBatch and RetryBuildBatch (.sync waits
    // for the build or batch to end, polling BatchGetBuilds or
    // BatchGetBuildBatches, and returns it as `Build` or `BuildBatch`); the
    // others answer once.
    codebuild(
        "codebuild:startBuild",
        "startBuild",
        "batchGetBuilds",
        &[("Ids", "result.Build.Id[]")],
        "Builds.0.BuildStatus",
        "Builds.0",
        "Build",
    ),
    codebuild_batch("codebuild:startBuildBatch", "startBuildBatch"),
    codebuild_batch("codebuild:retryBuildBatch", "retryBuildBatch"),
    plain("codebuild:stopBuild", "codebuild", "stopBuild"),
    plain(
        "codebuild:batchDeleteBuilds",
        "codebuild",
        "batchDeleteBuilds",
    ),
    plain("codebuild:batchGetReports", "codebuild", "batchGetReports"),
    plain("codebuild:stopBuildBatch", "codebuild", "stopBuildBatch"),
    plain(
        "codebuild:deleteBuildBatch",
        "codebuild",
        "deleteBuildBatch",
    ),
    // SageMaker AI: the Create*Job actions with .sync (waiting on their
    // Describe*Job until Completed), endpoints and models answering once.
    sagemaker_job(
        "sagemaker:createTrainingJob",
        "createTrainingJob",
        "describeTrainingJob",
        &[("TrainingJobName", "request.TrainingJobName")],
        "TrainingJobStatus",
    ),
    sagemaker_job(
        "sagemaker:createTransformJob",
        "createTransformJob",
        "describeTransformJob",
        &[("TransformJobName", "request.TransformJobName")],
        "TransformJobStatus",
    ),
    sagemaker_job(
        "sagemaker:createProcessingJob",
        "createProcessingJob",
        "describeProcessingJob",
        &[("ProcessingJobName", "request.ProcessingJobName")],
        "ProcessingJobStatus",
    ),
    sagemaker_job(
        "sagemaker:createHyperParameterTuningJob",
        "createHyperParameterTuningJob",
        "describeHyperParameterTuningJob",
        &[(
            "HyperParameterTuningJobName",
            "request.HyperParameterTuningJobName",
        )],
        "HyperParameterTuningJobStatus",
    ),
    sagemaker_job(
        "sagemaker:createLabelingJob",
        "createLabelingJob",
        "describeLabelingJob",
        &[("LabelingJobName", "request.LabelingJobName")],
        "LabelingJobStatus",
    ),
    plain("sagemaker:createEndpoint", "sagemaker", "createEndpoint"),
    plain(
        "sagemaker:createEndpointConfig",
        "sagemaker",
        "createEndpointConfig",
    ),
    plain("sagemaker:createModel", "sagemaker", "createModel"),
    plain("sagemaker:updateEndpoint", "sagemaker", "updateEndpoint"),
    // Amazon EMR: the page's own API over EMR's, as `elasticmapreduce:*`.
    // Unconfirmed (the page does not say): the states that fail a `.sync`
    // wait, and what `.sync` returns (here the first call's answer, as
    // request-response returns it: AWS's samples read createCluster.sync's
    // `ClusterId`).
    Optimized {
        patterns: RR_ONLY_SYNC,
        sync: Some(SyncRule {
            poll: "describeCluster",
            request: &[("ClusterId", "result.ClusterId")],
            status: EMR_CLUSTER_STATE,
            // "waits for the cluster to reach the WAITING state".
            succeeded: &["WAITING"],
            failed: &["TERMINATING", "TERMINATED", "TERMINATED_WITH_ERRORS"],
            output: SyncOutput::Started,
        }),
        reshape: Reshape {
            result: &[Renamed::same("ClusterId", "JobFlowId")],
            refused: &["Steps"],
            must_be_true: &["Instances.KeepJobFlowAliveWhenNoSteps"],
            ..SAME_AS_ACTION
        },
        ..plain("elasticmapreduce:createCluster", "emr", "runJobFlow")
    },
    Optimized {
        reshape: Reshape {
            request: &[Renamed::one_of("ClusterId", "JobFlowIds")],
            ..SAME_AS_ACTION
        },
        ..plain(
            "elasticmapreduce:setClusterTerminationProtection",
            "emr",
            "setTerminationProtection",
        )
    },
    Optimized {
        patterns: RR_ONLY_SYNC,
        sync: Some(SyncRule {
            poll: "describeCluster",
            request: &[("ClusterId", "request.ClusterId")],
            status: EMR_CLUSTER_STATE,
            // "waits for the cluster to terminate": with errors or not.
            succeeded: &["TERMINATED", "TERMINATED_WITH_ERRORS"],
            failed: &[],
            output: SyncOutput::Started,
        }),
        reshape: Reshape {
            request: &[Renamed::one_of("ClusterId", "JobFlowIds")],
            ..SAME_AS_ACTION
        },
        ..plain(
            "elasticmapreduce:terminateCluster",
            "emr",
            "terminateJobFlows",
        )
    },
    Optimized {
        patterns: RR_ONLY_SYNC,
        sync: Some(SyncRule {
            poll: "describeStep",
            request: &[
                ("ClusterId", "request.ClusterId"),
                ("StepId", "result.StepId"),
            ],
            status: "Step.Status.State",
            // "waits for the step to complete".
            succeeded: &["COMPLETED"],
            failed: &["FAILED", "CANCELLED", "INTERRUPTED"],
            output: SyncOutput::Started,
        }),
        reshape: Reshape {
            request: &[
                Renamed::same("ClusterId", "JobFlowId"),
                Renamed::one_of("Step", "Steps"),
            ],
            result: &[Renamed::one_of("StepId", "StepIds")],
            ..SAME_AS_ACTION
        },
        ..plain("elasticmapreduce:addStep", "emr", "addJobFlowSteps")
    },
    Optimized {
        reshape: Reshape {
            request: &[Renamed::one_of("StepId", "StepIds")],
            result: &[Renamed::one_of("CancelStepsInfo", "CancelStepsInfoList")],
            ..SAME_AS_ACTION
        },
        ..plain("elasticmapreduce:cancelStep", "emr", "cancelSteps")
    },
    // The `*ByName` ones: the page's example (and AWS's CDK) put the name
    // beside `InstanceFleet`/`InstanceGroup`, at the top.
    Optimized {
        reshape: Reshape {
            added: &[("InstanceFleetName", "XmlStringMaxLen256")],
            refused: &["InstanceFleet.InstanceFleetId"],
            lookup: Some(Lookup {
                action: "listInstanceFleets",
                request: &[("ClusterId", "request.ClusterId")],
                list: "InstanceFleets",
                key: "Name",
                by: "InstanceFleetName",
                id: "Id",
                into: "InstanceFleet.InstanceFleetId",
                marker: "Marker",
            }),
            ..SAME_AS_ACTION
        },
        ..plain(
            "elasticmapreduce:modifyInstanceFleetByName",
            "emr",
            "modifyInstanceFleet",
        )
    },
    Optimized {
        reshape: Reshape {
            request: &[Renamed::one_of("InstanceGroup", "InstanceGroups")],
            added: &[("InstanceGroupName", "String")],
            refused: &["InstanceGroup.InstanceGroupId"],
            lookup: Some(Lookup {
                action: "listInstanceGroups",
                request: &[("ClusterId", "request.ClusterId")],
                list: "InstanceGroups",
                key: "Name",
                by: "InstanceGroupName",
                id: "Id",
                into: "InstanceGroup.InstanceGroupId",
                marker: "Marker",
            }),
            ..SAME_AS_ACTION
        },
        ..plain(
            "elasticmapreduce:modifyInstanceGroupByName",
            "emr",
            "modifyInstanceGroups",
        )
    },
    // EMR Serverless: the same requests; start, stop and delete also return
    // the `ApplicationId` they were given (EMR Serverless answers nothing).
    emr_serverless_application(
        "emr-serverless:createApplication",
        "createApplication",
        &[("ApplicationId", "result.ApplicationId")],
        // "waits for the application to reach the CREATED state".
        &["CREATED"],
        &["TERMINATED"],
    ),
    Optimized {
        echoed: &["ApplicationId"],
        ..emr_serverless_application(
            "emr-serverless:startApplication",
            "startApplication",
            &[("ApplicationId", "request.ApplicationId")],
            &["STARTED"],
            &["STOPPING", "STOPPED", "TERMINATED"],
        )
    },
    Optimized {
        echoed: &["ApplicationId"],
        ..emr_serverless_application(
            "emr-serverless:stopApplication",
            "stopApplication",
            &[("ApplicationId", "request.ApplicationId")],
            &["STOPPED"],
            &["TERMINATED"],
        )
    },
    Optimized {
        echoed: &["ApplicationId"],
        ..emr_serverless_application(
            "emr-serverless:deleteApplication",
            "deleteApplication",
            &[("ApplicationId", "request.ApplicationId")],
            &["TERMINATED"],
            &[],
        )
    },
    emr_serverless(
        "emr-serverless:startJobRun",
        "startJobRun",
        "getJobRun",
        &[
            ("ApplicationId", "request.ApplicationId"),
            ("JobRunId", "result.JobRunId"),
        ],
        "JobRun.State",
        &["SUCCESS"],
        &["FAILED", "CANCELLED"],
    ),
    emr_serverless(
        "emr-serverless:cancelJobRun",
        "cancelJobRun",
        "getJobRun",
        &[
            ("ApplicationId", "request.ApplicationId"),
            ("JobRunId", "request.JobRunId"),
        ],
        "JobRun.State",
        &["CANCELLED"],
        &["SUCCESS", "FAILED"],
    ),
    // Amazon EMR on EKS: EMR containers' own requests and answers.
    // Unconfirmed: the states that fail a `.sync` wait, and what it returns.
    plain(
        "emr-containers:createVirtualCluster",
        "emrcontainers",
        "createVirtualCluster",
    ),
    Optimized {
        patterns: RR_ONLY_SYNC,
        sync: Some(SyncRule {
            poll: "describeVirtualCluster",
            request: &[("Id", "request.Id")],
            status: "VirtualCluster.State",
            succeeded: &["TERMINATED", "TERMINATED_WITH_ERRORS"],
            failed: &["ARRESTED"],
            output: SyncOutput::Started,
        }),
        ..plain(
            "emr-containers:deleteVirtualCluster",
            "emrcontainers",
            "deleteVirtualCluster",
        )
    },
    Optimized {
        patterns: RR_ONLY_SYNC,
        sync: Some(SyncRule {
            poll: "describeJobRun",
            request: &[
                ("Id", "result.Id"),
                ("VirtualClusterId", "request.VirtualClusterId"),
            ],
            status: "JobRun.State",
            succeeded: &["COMPLETED"],
            failed: &["FAILED", "CANCELLED"],
            output: SyncOutput::Started,
        }),
        ..plain("emr-containers:startJobRun", "emrcontainers", "startJobRun")
    },
    // AWS Glue DataBrew: StartJobRun; `.sync` waits on DescribeJobRun.
    // Unconfirmed (the page shows only examples): the states that fail the
    // wait, and that `.sync` returns DescribeJobRun's answer (as Glue's
    // returns its JobRun).
    Optimized {
        patterns: RR_ONLY_SYNC,
        sync: Some(SyncRule {
            poll: "describeJobRun",
            request: &[("Name", "request.Name"), ("RunId", "result.RunId")],
            status: "State",
            succeeded: &["SUCCEEDED"],
            failed: &["FAILED", "STOPPED", "TIMEOUT"],
            output: polled(""),
        }),
        ..plain("databrew:startJobRun", "databrew", "startJobRun")
    },
    // AWS Elemental MediaConvert: CreateJob, tagged as Step Functions tags
    // it; `.sync` waits on GetJob. Unconfirmed: the states that fail the
    // wait, and that `.sync` returns GetJob's answer (`{"Job": ...}`, the
    // shape CreateJob answers with).
    Optimized {
        patterns: RR_SYNC,
        sync: Some(SyncRule {
            poll: "getJob",
            request: &[("Id", "result.Job.Id")],
            status: "Job.Status",
            succeeded: &["COMPLETE"],
            failed: &["ERROR", "CANCELED"],
            output: polled(""),
        }),
        reshape: Reshape {
            // "Step Functions will add the following custom tag to
            // MediaConvert jobs: `ManagedByService: AWSStepFunctions`".
            sets: &[("Tags.ManagedByService", "AWSStepFunctions")],
            ..SAME_AS_ACTION
        },
        ..plain("mediaconvert:createJob", "mediaconvert", "createJob")
    },
    // Bedrock: CreateModelCustomizationJob ("no differences in the fields");
    // `.sync` waits on GetModelCustomizationJob, by the job's name (which
    // it takes as well as the ARN). Unconfirmed: the states that fail the
    // wait, and that `.sync` returns GetModelCustomizationJob's answer.
    Optimized {
        patterns: RR_ONLY_SYNC,
        sync: Some(SyncRule {
            poll: "getModelCustomizationJob",
            request: &[("JobIdentifier", "request.JobName")],
            status: "Status",
            succeeded: &["Completed"],
            failed: &["Failed", "Stopped"],
            output: polled(""),
        }),
        ..plain(
            "bedrock:createModelCustomizationJob",
            "bedrock",
            "createModelCustomizationJob",
        )
    },
    // Bedrock: InvokeModel, its Body JSON in and out.
    Optimized {
        name: "bedrock:invokeModel",
        service: "bedrockruntime",
        action: "invokeModel",
        patterns: RR,
        json_body: true,
        unserved_fields: &["Input", "Output"],
        echoed: &[],
        failures: None,
        sync: None,
        reshape: SAME_AS_ACTION,
    },
];

/// The optimized integration `arn` names and its pattern (any partition;
/// with a region and an account or without), if the generic caller serves
/// it with that pattern.
pub fn optimized(arn: &str) -> Option<(&'static Optimized, Pattern)> {
    let (entry, pattern) = named(arn)?;
    entry
        .patterns
        .contains(&pattern)
        .then_some((entry, pattern))
}

/// The optimized integration `arn` names, whatever its pattern suffix, and
/// the suffix as written.
pub fn named(arn: &str) -> Option<(&'static Optimized, Pattern)> {
    let rest = arn.strip_prefix("arn:")?;
    let (partition, rest) = rest.split_once(":states:")?;
    crate::integrations::Partition::from_name(partition)?;
    let mut parts = rest.splitn(3, ':');
    let (region, account, name) = (parts.next()?, parts.next()?, parts.next()?);
    let located = crate::integrations::arn::is_region(region)
        && crate::integrations::arn::is_account(account);
    if !(located || region.is_empty() && account.is_empty()) {
        return None;
    }
    let (name, suffix) = match name.find('.') {
        Some(dot) => name.split_at(dot),
        None => (name, ""),
    };
    let pattern = Pattern::ALL.into_iter().find(|p| p.suffix() == suffix)?;
    let entry = OPTIMIZED.iter().find(|o| o.name == name)?;
    Some((entry, pattern))
}

/// `arn` in its short form (`arn:aws:states:::athena:getQueryResults`),
/// for an optimized integration written with a region and an account.
pub fn short_form(arn: &str) -> Option<String> {
    let (entry, pattern) = optimized(arn)?;
    let partition = arn.strip_prefix("arn:")?.split(':').next()?;
    Some(format!(
        "arn:{partition}:states:::{}{}",
        entry.name,
        pattern.suffix()
    ))
}

/// Every resource ARN the optimized integrations answer to (each pattern,
/// each partition), in the short form.
pub fn resources() -> impl Iterator<Item = String> {
    OPTIMIZED.iter().flat_map(|o| {
        o.patterns.iter().flat_map(move |p| {
            crate::integrations::Partition::ALL
                .into_iter()
                .map(move |partition| {
                    format!("arn:{}:states:::{}{}", partition.name(), o.name, p.suffix())
                })
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resources_name_their_patterns() {
        assert!(optimized("arn:aws:states:::bedrock:invokeModel").is_some());
        assert!(optimized("arn:aws:states:::bedrock:invokeModel.sync").is_none());
        assert!(named("arn:aws:states:::bedrock:invokeModel.sync").is_some());
        assert_eq!(
            short_form("arn:aws:states:us-east-1:123456789012:athena:getQueryResults").as_deref(),
            Some("arn:aws:states:::athena:getQueryResults")
        );
        assert!(optimized("arn:aws:states:::aws-sdk:athena:getQueryResults").is_none());
        assert!(resources().any(|r| r == "arn:aws-cn:states:::glue:startJobRun.sync"));
    }
}
