//! Every table, queue, bucket prefix and secret a function touches is in its policies.

use super::environment::secrets_read;
use super::reading::*;
use super::*;

/// The tables each function's code touches (its services' catalog calls); `true` = writes.
pub(super) fn tables_touched(function: Function) -> &'static [(&'static str, bool)] {
    match function {
        // Ownership checks, photo rows and the event's photo count.
        Function::Presign => &[
            ("UsersTable", true),
            ("EventsTable", true),
            ("PhotosTable", true),
        ],
        // Everything photographers edit; an event's expiry is carried to every child.
        Function::Events => &[
            ("UsersTable", true),
            ("EventsTable", true),
            ("PhotosTable", true),
            ("AccessCodesTable", true),
            ("JobsTable", true),
        ],
        // Watermark settings; photo status; derivative jobs.
        Function::Process => &[
            ("EventsTable", false),
            ("PhotosTable", true),
            ("JobsTable", true),
        ],
        // Reads the event by path and its codes and photos; counts unlock attempts;
        // records archive jobs.
        Function::Gallery => &[
            ("UsersTable", false),
            ("EventsTable", false),
            ("PhotosTable", false),
            ("AccessCodesTable", false),
            ("JobsTable", true),
            ("CountersTable", true),
        ],
        Function::Archive => &[
            ("EventsTable", false),
            ("PhotosTable", false),
            ("AccessCodesTable", false),
            ("JobsTable", true),
        ],
        // Scans expired events; deletes an event's rows, keeping a tombstone.
        Function::Reaper => &[
            ("EventsTable", true),
            ("PhotosTable", true),
            ("AccessCodesTable", true),
            ("JobsTable", true),
        ],
    }
}

/// What each function does to the bucket: (key prefix, S3 action).
pub(super) fn objects_touched(function: Function) -> &'static [(&'static str, &'static str)] {
    match function {
        // Presigned single and multipart uploads are signed with its role.
        Function::Presign => &[
            ("originals/", "s3:PutObject"),
            ("originals/", "s3:AbortMultipartUpload"),
            ("originals/", "s3:ListMultipartUploadParts"),
            ("originals/", "s3:DeleteObject"),
        ],
        Function::Events => &[
            ("originals/", "s3:GetObject"),
            ("derived/", "s3:GetObject"),
            ("derived/", "s3:PutObject"),
            ("originals/", "s3:DeleteObject"),
            ("derived/", "s3:DeleteObject"),
            ("archives/", "s3:DeleteObject"),
            ("originals/", "s3:AbortMultipartUpload"),
        ],
        // An original whose photo is gone is deleted with whatever was derived from it.
        Function::Process => &[
            ("originals/", "s3:GetObject"),
            ("derived/", "s3:PutObject"),
            ("originals/", "s3:DeleteObject"),
            ("derived/", "s3:DeleteObject"),
        ],
        Function::Gallery => &[
            ("originals/", "s3:GetObject"),
            ("derived/", "s3:GetObject"),
            ("archives/", "s3:GetObject"),
            // The selection of an archive request.
            ("archives/", "s3:PutObject"),
        ],
        Function::Archive => &[
            ("originals/", "s3:GetObject"),
            ("archives/", "s3:GetObject"),
            ("archives/", "s3:PutObject"),
            ("archives/", "s3:DeleteObject"),
            ("archives/", "s3:AbortMultipartUpload"),
            ("archives/", "s3:ListMultipartUploadParts"),
        ],
        Function::Reaper => &[
            ("originals/", "s3:DeleteObject"),
            ("derived/", "s3:DeleteObject"),
            ("archives/", "s3:DeleteObject"),
        ],
    }
}

#[test]
fn every_table_queue_and_bucket_a_function_touches_is_in_its_policies() {
    for function in Function::ALL {
        let (name, r) = function_resource(function);
        let policies = as_list(&r["Properties"]["Policies"]);
        // SAM policy templates on tables.
        let mut crud = BTreeSet::new();
        let mut read = BTreeSet::new();
        let mut sends = BTreeSet::new();
        let mut secrets = BTreeSet::new();
        let mut statements = Vec::new();
        for policy in &policies {
            for (template_name, args) in policy.as_object().into_iter().flatten() {
                match template_name.as_str() {
                    "DynamoDBCrudPolicy" => {
                        crud.insert(ref_to(&args["TableName"]).expect("table").to_owned());
                    }
                    "DynamoDBReadPolicy" => {
                        read.insert(ref_to(&args["TableName"]).expect("table").to_owned());
                    }
                    "SQSSendMessagePolicy" => {
                        let (queue, attr) = get_att(&args["QueueName"]).expect("queue");
                        assert_eq!(attr, "QueueName");
                        sends.insert(queue.to_owned());
                    }
                    "AWSSecretsManagerGetSecretValuePolicy" => {
                        let secret = ref_to(&args["SecretArn"]).expect("secret");
                        secrets.insert(secret.to_owned());
                    }
                    "Statement" => statements.extend(as_list(args)),
                    other => panic!("{name}: unexpected policy {other}"),
                }
            }
        }
        let touched = tables_touched(function);
        for (table, writes) in touched {
            assert_eq!(resource(table)["Type"], "AWS::DynamoDB::Table", "{table}");
            let granted = crud.contains(*table) || (!writes && read.contains(*table));
            assert!(
                granted,
                "{name}: {table} ({}) not granted",
                if *writes { "write" } else { "read" }
            );
        }
        for table in crud.iter().chain(&read) {
            assert!(
                touched.iter().any(|(t, _)| t == table),
                "{name}: {table} granted but never touched"
            );
        }

        let mut queues = BTreeSet::new();
        if function.needs().process_queue {
            queues.insert("ProcessQueue".to_owned());
        }
        if function.needs().jobs_queue {
            queues.insert("JobsQueue".to_owned());
        }
        if function == Function::Reaper {
            queues.insert("ReaperDLQ".to_owned()); // its stream's on-failure destination
        }
        assert_eq!(sends, queues, "{name}: queues it sends to");

        // GetSecretValue on exactly the secrets it reads at cold start.
        let read: BTreeSet<String> = secrets_read(function)
            .into_iter()
            .map(|(_, secret)| secret.to_owned())
            .collect();
        assert_eq!(secrets, read, "{name}: secrets it may read");

        // Object access: every (prefix, action) it needs is allowed on that prefix.
        for (prefix, action) in objects_touched(function) {
            let allowed = statements.iter().any(|s| {
                s["Effect"] == "Allow"
                    && as_list(&s["Action"])
                        .iter()
                        .any(|a| a.as_str() == Some(action))
                    && as_list(&s["Resource"]).iter().any(|res| {
                        sub_text(res).is_some_and(|t| {
                            t == format!(
                                "arn:${{AWS::Partition}}:s3:::${{UploadsBucket}}/{prefix}*"
                            )
                        })
                    })
            });
            assert!(allowed, "{name}: {action} on {prefix} not allowed");
        }
        // ListBucket everywhere: without it S3 answers a missing key with 403, not 404,
        // and "not found" (a deleted photo, an unfinished archive) would read as an error.
        let lists = statements.iter().any(|s| {
            as_list(&s["Action"])
                .iter()
                .any(|a| a.as_str() == Some("s3:ListBucket"))
                && as_list(&s["Resource"])
                    .iter()
                    .any(|res| sub_text(res) == Some("arn:${AWS::Partition}:s3:::${UploadsBucket}"))
        });
        assert!(lists, "{name}: s3:ListBucket on the bucket");
        // Every statement is about the uploads bucket, and nothing is granted on "*".
        for s in &statements {
            let mut named = BTreeSet::new();
            mentions(&s["Resource"], &mut named);
            assert!(named.contains("UploadsBucket"), "{name}: {s}");
            assert!(
                !as_list(&s["Action"])
                    .iter()
                    .any(|a| a.as_str() == Some("s3:*")),
                "{name}"
            );
        }
    }
}

#[test]
fn the_queues_feed_their_consumers_with_partial_batch_failures_and_dead_letters() {
    for (function, queue, dlq) in [
        (Function::Process, "ProcessQueue", "ProcessDLQ"),
        (Function::Archive, "JobsQueue", "JobsDLQ"),
    ] {
        let (name, r) = function_resource(function);
        let events: Vec<_> = r["Properties"]["Events"]
            .as_object()
            .into_iter()
            .flatten()
            .map(|(_, e)| e)
            .filter(|e| e["Type"] == "SQS")
            .collect();
        assert_eq!(events.len(), 1, "{name}: one SQS trigger");
        let p = &events[0]["Properties"];
        assert_eq!(get_att(&p["Queue"]), Some((queue, "Arn")), "{name}");
        assert_eq!(
            p["FunctionResponseTypes"],
            json!(["ReportBatchItemFailures"]),
            "{name}"
        );
        let redrive = &resource(queue)["Properties"]["RedrivePolicy"];
        assert_eq!(
            get_att(&redrive["deadLetterTargetArn"]),
            Some((dlq, "Arn")),
            "{queue}"
        );
        assert!(
            of_type("AWS::CloudWatch::Alarm").any(|(_, a)| {
                as_list(&a["Properties"]["Dimensions"])
                    .iter()
                    .any(|d| get_att(&d["Value"]) == Some((dlq, "QueueName")))
            }),
            "{dlq} has no depth alarm"
        );
    }
    for function in Function::ALL {
        let (name, _) = function_resource(function);
        assert!(
            of_type("AWS::CloudWatch::Alarm").any(|(_, a)| {
                a["Properties"]["MetricName"] == "Errors"
                    && as_list(&a["Properties"]["Dimensions"])
                        .iter()
                        .any(|d| ref_to(&d["Value"]) == Some(name))
            }),
            "{name} has no errors alarm"
        );
    }

    // S3 → process queue: ObjectCreated on originals/, allowed by a queue policy whose
    // source is the bucket's *name* (a Ref to the bucket would be a cycle).
    let bucket = &resource("UploadsBucket");
    let notification = &bucket["Properties"]["NotificationConfiguration"]["QueueConfigurations"][0];
    assert_eq!(notification["Event"], "s3:ObjectCreated:*");
    assert_eq!(
        get_att(&notification["Queue"]),
        Some(("ProcessQueue", "Arn"))
    );
    assert_eq!(
        notification["Filter"]["S3Key"]["Rules"],
        json!([{"Name": "prefix", "Value": "originals/"}])
    );
    assert_eq!(bucket["DependsOn"], "ProcessQueuePolicy");
    let bucket_name = sub_text(&bucket["Properties"]["BucketName"]).expect("bucket name");
    let statement = &resource("ProcessQueuePolicy")["Properties"]["PolicyDocument"]["Statement"][0];
    let source = sub_text(&statement["Condition"]["ArnLike"]["aws:SourceArn"]).expect("source");
    assert_eq!(
        source,
        format!("arn:${{AWS::Partition}}:s3:::{bucket_name}")
    );
    let mut named = BTreeSet::new();
    mentions(&resource("ProcessQueuePolicy")["Properties"], &mut named);
    assert!(
        !named.contains("UploadsBucket"),
        "the queue policy must not reference the bucket"
    );
}
