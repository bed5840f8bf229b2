import { Directive, Field, ID, ObjectType, registerEnumType } from 'type-graphql';
import { connectionTypes } from '../core/graphql/connection';
import { InvitationStatus } from './invitation-status';

registerEnumType(InvitationStatus, {
  name: 'InvitationStatus',
  description: 'PENDING until accepted or cancelled; EXPIRED once past expiresAt while still pending',
});

@ObjectType('Invitation', { description: 'An offer to join an organisation with given roles and teams' })
@Directive('@key(fields: "id")')
export class InvitationType {
  @Field(() => ID) id!: string;
  organisationId!: string;
  invitedById!: string | null;
  @Field(() => String, { nullable: true, description: 'Normalised (trimmed, lower case). Contact detail: needs members:read-contact too (or being the verified invitee); hidden, not refused: null with no error without it' })
  email!: string;
  @Field(() => Date) createdAt!: Date;
  @Field(() => Date, { description: 'After it, the invitation can no longer be accepted (resend renews it)' }) expiresAt!: Date;
  @Field(() => Date, { nullable: true }) acceptedAt!: Date | null;
}

@ObjectType('InvitationPayload', { description: 'Returned to the inviter only: the token is never readable again' })
export class InvitationPayloadType {
  @Field(() => String, { description: 'The accept token (also in the emailed link); only its hash is stored' }) token!: string;
  @Field(() => InvitationType) invitation!: InvitationType;
}

export const { ConnectionType: InvitationConnection } = connectionTypes(InvitationType, 'Invitation');

@ObjectType('InvitationPreviewGrant', { description: 'A role or team an invitation offers, by name' })
export class InvitationPreviewGrantType {
  @Field(() => String) name!: string;
}

@ObjectType('InvitationPreview', {
  description: 'What an accept page shows before the invitee accepts: for whoever holds the token (signed in), whatever their email',
})
export class InvitationPreviewType {
  @Field(() => String) organisationName!: string;
  @Field(() => String, { nullable: true, description: 'Who invited: their display name; null when they are gone' }) inviterName!: string | null;
  @Field(() => [InvitationPreviewGrantType], { description: 'Roles received on acceptance, by name' }) roles!: InvitationPreviewGrantType[];
  @Field(() => [InvitationPreviewGrantType], { description: 'Teams joined (as MEMBER) on acceptance, by name' }) teams!: InvitationPreviewGrantType[];
  @Field(() => Date) expiresAt!: Date;
  @Field(() => InvitationStatus, { description: 'Only PENDING can be accepted; EXPIRED, ACCEPTED and CANCELLED say why not' }) status!: InvitationStatus;
}
