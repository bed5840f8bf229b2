import { Field, ObjectType } from 'type-graphql';
import { UserType } from '../users/user.type';

@ObjectType('Viewer', { description: 'The signed-in caller' })
export class ViewerType {
  @Field(() => Boolean) isPlatformAdmin!: boolean;
  @Field(() => UserType) user!: UserType;
}
