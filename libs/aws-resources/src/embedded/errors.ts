/** The embedded emulators could not start (Java missing, a port taken, DynamoDB Local exited). */
export class EmbeddedAwsError extends Error {
  override readonly name = 'EmbeddedAwsError';
}
