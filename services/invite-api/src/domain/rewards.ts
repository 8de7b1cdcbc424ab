/** Referral rewards: what an accepted invitation earns (docs/invitations.md, "Rewards"). */
export interface RewardPolicy {
  /** Points the inviter earns per accepted invitation. */
  referralPoints: number;
  /** Accepted invitations that earn the inviter a reward; later acceptances earn nothing. */
  capPerInviter: number;
  /** Points the new user earns when accepting; 0 means no welcome reward. */
  welcomePoints: number;
}

export type RewardKind = 'referral' | 'welcome';

export interface Reward {
  rewardId: string;
  kind: RewardKind;
  points: number;
  /** The accepted invitation that earned it. */
  invitationId: string;
  createdAt: string;
}

export interface RewardSummary {
  balance: number;
  /** Referral rewards earned so far (counts towards capPerInviter). */
  referralCount: number;
  rewards: Reward[];
}
