import type { ProvisionedResources } from './provision.ts';

/**
 * The variables every service reads to find its resources (names fixed by the platform's config
 * table). Endpoints and credentials are not here: they come from the AWS SDK's own variables.
 */
export function resourceEnv(provisioned: ProvisionedResources): Record<string, string> {
  const { queues, tables, topics, bucket } = provisioned;
  return {
    ENV_NAME: provisioned.definition.envName,
    AWS_REGION: provisioned.region,
    IMAGE_JOBS_QUEUE_URL: queues.imageJobs.url,
    IMAGE_JOBS_DLQ_URL: queues.imageJobs.dlqUrl,
    IMAGE_JOBS_TABLE: tables.imageJobs.name,
    ASSETS_BUCKET: bucket.name,
    INVITATIONS_TABLE: tables.invitations.name,
    SMS_REQUESTS_QUEUE_URL: queues.smsRequests.url,
    SMS_REQUESTS_DLQ_URL: queues.smsRequests.dlqUrl,
    SMS_MESSAGES_TABLE: tables.smsMessages.name,
    INVITE_EVENTS_QUEUE_URL: queues.inviteEvents.url,
    INVITE_EVENTS_DLQ_URL: queues.inviteEvents.dlqUrl,
    SMS_EVENTS_QUEUE_URL: queues.smsEvents.url,
    SMS_EVENTS_DLQ_URL: queues.smsEvents.dlqUrl,
    SMS_EVENTS_TOPIC_ARN: topics.smsEvents.arn,
    SMS_DIRECTORY_TABLE: tables.smsDirectory.name,
    IMAGE_JOB_EVENTS_TOPIC_ARN: topics.imageJobEvents.arn,
    IMAGE_JOB_EVENTS_QUEUE_URL: queues.imageJobEvents.url,
    IMAGE_JOB_EVENTS_DLQ_URL: queues.imageJobEvents.dlqUrl,
  };
}
