/** What both calendar adapters read from a `call` delivery: its slot and who to invite. */
import { ApplicationFailure } from '@temporalio/common';
import type { DeliveryAddress, DeliveryRequest } from './port';
import { DeliveryFailureType } from './provider-errors';

export type CallDetails = NonNullable<DeliveryRequest['call']>;

export function callOf(request: DeliveryRequest, provider: string): CallDetails {
  if (!request.call) {
    throw ApplicationFailure.create({ type: DeliveryFailureType.Rejected, message: `${provider}: call delivery ${request.idempotencyKey} has no slot`, nonRetryable: true });
  }
  return request.call;
}

/** everyone invited but the organizer, the recipient included, each once */
export function inviteesOf(request: DeliveryRequest, call: CallDetails): DeliveryAddress[] {
  const byEmail = new Map<string, DeliveryAddress>();
  for (const person of [...call.attendees, request.recipient]) {
    const email = person.email.toLowerCase();
    if (email !== call.organizer.email.toLowerCase() && !byEmail.has(email)) byEmail.set(email, person);
  }
  return [...byEmail.values()];
}

/** person id → e-mail when the directory uses e-mail addresses as person ids (Mycelium's default) */
export function personIdAsEmail(personId: string): string | undefined {
  return personId.includes('@') ? personId : undefined;
}
